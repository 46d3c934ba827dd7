//! Programs and their budgets: every user reads them (an officer needs the
//! codes to upload); provincial officers add them; budgets are read per
//! district as districts are.

use super::openapi::ErrorBody;
use super::session::CurrentUser;
use super::{AppState, Error};
use crate::auth::{authorize, Action};
use crate::domain::admin_units::{units, Commune};
use crate::domain::DistrictCode;
use crate::domain::Program;
use crate::import::annotate::XLSX_CONTENT_TYPE;
use crate::import::parse::RollKind;
use crate::import::template;
use crate::programs::{self, AddError, Budget};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, add))
        .routes(routes!(show))
        .routes(routes!(budgets))
        .routes(routes!(template))
}

/// A program as defined, with the text of its definition file.
#[derive(Serialize, ToSchema)]
struct ProgramView {
    #[serde(flatten)]
    program: Program,
    /// The definition file (TOML) as stored.
    definition: String,
}

/// Every program, in code order.
#[utoipa::path(get, path = "/api/v1/programs", tag = "programs",
    responses((status = 200, body = Vec<Program>)))]
async fn list(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> Result<Json<Vec<Program>>, Error> {
    let programs = programs::list(state.store.as_ref()).await?;
    Ok(Json(programs.into_iter().map(|(p, _)| p).collect()))
}

/// Define a program from its definition file (TOML, as `ansinh program
/// add --file`): stores it and posts its budget allocation, atomically.
#[utoipa::path(post, path = "/api/v1/programs", tag = "programs",
    request_body(content = String, content_type = "text/plain",
        description = "the program file, TOML (see imports/programs/nq68-example.toml)"),
    responses(
        (status = 201, body = Program),
        (status = 400, description = "the definition does not parse or breaks a rule", body = ErrorBody),
        (status = 403, description = "provincial officers only", body = ErrorBody),
        (status = 409, description = "a program with this code exists", body = ErrorBody),
    ))]
async fn add(
    State(state): State<AppState>,
    user: CurrentUser,
    definition: String,
) -> Result<(StatusCode, Json<Program>), Error> {
    authorize(&user.user, Action::DefinePrograms)?;
    let program = programs::add(state.store.as_ref(), &user.user.username, &definition)
        .await
        .map_err(|e| match e {
            AddError::Invalid(message) => Error::BadRequest(message),
            AddError::Append(e) => e.into(),
        })?;
    Ok((StatusCode::CREATED, Json(program)))
}

async fn find(state: &AppState, code: &str) -> Result<(Program, String), Error> {
    programs::list(state.store.as_ref())
        .await?
        .into_iter()
        .find(|(program, _)| program.code.as_str() == code)
        .ok_or(Error::NotFound)
}

/// One program and its definition file.
#[utoipa::path(get, path = "/api/v1/programs/{code}", tag = "programs",
    params(("code" = String, Path, description = "the program's code, e.g. NQ68")),
    responses(
        (status = 200, body = ProgramView),
        (status = 404, description = "no such program", body = ErrorBody),
    ))]
async fn show(
    State(state): State<AppState>,
    _user: CurrentUser,
    Path(code): Path<String>,
) -> Result<Json<ProgramView>, Error> {
    let (program, definition) = find(&state, &code).await?;
    Ok(Json(ProgramView {
        program,
        definition,
    }))
}

/// A program's budget per district: allocated, approved and left. A
/// district officer reads their own district's row.
#[utoipa::path(get, path = "/api/v1/programs/{code}/budgets", tag = "programs",
    params(("code" = String, Path, description = "the program's code, e.g. NQ68")),
    responses(
        (status = 200, body = Vec<Budget>),
        (status = 403, description = "administrators read no budgets", body = ErrorBody),
        (status = 404, description = "no such program", body = ErrorBody),
    ))]
async fn budgets(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> Result<Json<Vec<Budget>>, Error> {
    let whole_province = authorize(&user.user, Action::ReadDistrict { district: None }).is_ok();
    let own = user.user.district.as_deref();
    if !whole_province {
        authorize(&user.user, Action::ReadDistrict { district: own })?;
    }
    let (program, _) = find(&state, &code).await?;
    let mut budgets = programs::budgets(state.store.as_ref(), &program).await?;
    if !whole_province {
        budgets.retain(|b| Some(b.district.as_str()) == own);
    }
    Ok(Json(budgets))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct TemplateQuery {
    kind: RollKind,
    /// Offer this district's communes only; a district officer's own by
    /// default, every district with a budget in the program otherwise.
    #[param(pattern = "^[0-9]{3}$")]
    district: Option<String>,
}

/// A blank roll of the program as an Excel workbook: the roll's columns as
/// the header, drop-down lists of its category and commune codes, code
/// columns as text. Filled in, it is uploaded as it is.
#[utoipa::path(get, path = "/api/v1/programs/{code}/template", tag = "programs",
    params(("code" = String, Path, description = "the program's code, e.g. NQ68"), TemplateQuery),
    responses(
        (status = 200, description = "the blank roll, `mau-<program>-<kind>.xlsx`",
            content((String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, description = "a bad kind or district", body = ErrorBody),
        (status = 404, description = "no such program", body = ErrorBody),
    ))]
async fn template(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<TemplateQuery>,
) -> Result<Response, Error> {
    let district = query.district.or_else(|| user.user.district.clone());
    let (program, _) = find(&state, &code).await?;
    let communes: Vec<&Commune> = match district {
        Some(district) => {
            if !(district.len() == 3 && district.bytes().all(|b| b.is_ascii_digit())) {
                return Err(Error::BadRequest(format!(
                    "'{district}' is not a district code: 3 digits / mã huyện gồm 3 chữ số"
                )));
            }
            let district = DistrictCode::parse(&district).map_err(Error::BadRequest)?;
            units().communes_of(district.as_str())
        }
        None => program
            .budgets
            .keys()
            .flat_map(|district| units().communes_of(district.as_str()))
            .collect(),
    };
    let workbook =
        template::blank_roll(&program, query.kind, &communes).map_err(Error::internal)?;
    Ok(super::imports::attachment(
        XLSX_CONTENT_TYPE,
        &template::template_file_name(&program, query.kind),
        workbook,
    ))
}
