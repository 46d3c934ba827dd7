//! `ansinh import approvals|payments --program P --district D FILE
//! [--dry-run] [--expect-rows N] [--expect-total AMOUNT] [--format text|json]
//! [--sheet NAME] [--annotated OUT.xlsx]`.

use super::{CliError, CliResult, Context};
use crate::domain::Money;
use crate::import::annotate;
use crate::import::parse::{RollKind, FILE_BYTES_MAX};
use crate::import::pipeline::{self, ImportError, RollUpload};
use crate::import::report::ImportReport;
use std::path::Path;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, Default, clap::ValueEnum)]
pub enum Output {
    #[default]
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(value_enum)]
    kind: RollKind,
    #[arg(long)]
    program: String,
    #[arg(long)]
    district: String,
    /// The roll: CSV, Excel `.xlsx` or LibreOffice `.ods`.
    file: PathBuf,
    /// The workbook's sheet to read (default: the first).
    #[arg(long, value_name = "NAME")]
    sheet: Option<String>,
    /// Also write the roll as an Excel workbook with a `Lỗi / Error` column
    /// saying what was found on each row (written whenever the roll was read,
    /// committed or not); fix it and import it again as it is.
    #[arg(long, value_name = "OUT.xlsx")]
    annotated: Option<PathBuf>,
    /// Validate and print the report; post nothing.
    #[arg(long)]
    dry_run: bool,
    /// Declared number of rows; a different count refuses the commit.
    #[arg(long)]
    expect_rows: Option<u64>,
    /// Declared total (e.g. 1.500.000.000); a different total refuses the commit.
    #[arg(long, value_parser = parse_money)]
    expect_total: Option<Money>,
    #[arg(long, value_enum, default_value_t)]
    format: Output,
}

fn parse_money(text: &str) -> Result<Money, String> {
    Money::parse(text).map_err(|e| e.to_string())
}

pub async fn run(context: &Context, args: Args) -> CliResult {
    let upload = read_upload(&args)?;
    let user = context.user().await?;
    let store = context.store.as_ref();
    let print = |report: &ImportReport| -> CliResult {
        if let Some(path) = &args.annotated {
            write_annotated(path, &upload.bytes, report)?;
        }
        match args.format {
            Output::Text => super::print_out(&report.to_text()),
            Output::Json => super::print_out(&format!("{}\n", report.to_json())),
        }
    };
    if args.dry_run {
        let validated = pipeline::validate(store, &user, &upload)
            .await
            .map_err(map_error)?;
        print(&validated.report)?;
        // A dry run answers whether the commit would go ahead: exit 1 when not.
        if !validated.report.can_commit() {
            return Err(CliError::Refused(format!(
                "kiểm tra thử: danh sách sẽ bị từ chối khi ghi sổ / dry run: the commit would be refused: {}",
                validated.report.blocking_text()
            )));
        }
        return Ok(());
    }
    let validated = pipeline::stage(store, &user, &upload)
        .await
        .map_err(map_error)?;
    match pipeline::commit(store, &user, validated).await {
        Ok(report) => print(&report),
        Err(ImportError::Blocked(report) | ImportError::Stale(report)) => {
            print(&report)?;
            Err(CliError::Refused(format!(
                "không ghi sổ, không có gì được ghi / commit refused, nothing posted: {}",
                report.blocking_text()
            )))
        }
        Err(other) => Err(map_error(other)),
    }
}

fn read_upload(args: &Args) -> CliResult<RollUpload> {
    let size = std::fs::metadata(&args.file)
        .map_err(|e| CliError::Refused(format!("{}: {e}", args.file.display())))?
        .len();
    if size > FILE_BYTES_MAX as u64 {
        return Err(CliError::Refused(format!(
            "{file}: tệp {size} byte, vượt giới hạn {FILE_BYTES_MAX} byte; hãy chia danh sách thành nhiều tệp / {file}: {size} bytes is over the limit of {FILE_BYTES_MAX} bytes; split the roll",
            file = args.file.display()
        )));
    }
    let bytes = std::fs::read(&args.file)?;
    Ok(RollUpload {
        kind: args.kind,
        program: args.program.clone(),
        district: args.district.clone(),
        file_name: args
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        bytes,
        sheet: args.sheet.clone(),
        expect_rows: args.expect_rows,
        expect_total: args.expect_total,
    })
}

/// The annotated workbook of the roll just read, to `path`.
fn write_annotated(path: &Path, bytes: &[u8], report: &ImportReport) -> CliResult {
    let workbook = annotate::annotated_workbook(bytes, report)
        .map_err(|e| CliError::Refused(e.to_string()))?;
    std::fs::write(path, workbook).map_err(|e| {
        CliError::Refused(format!(
            "không ghi được / cannot write {}: {e}",
            path.display()
        ))
    })
}

pub fn map_error(error: ImportError) -> CliError {
    match error {
        ImportError::Store(e) => CliError::Store(e),
        ImportError::Append(e) => CliError::Append(e),
        other => CliError::Refused(other.to_string()),
    }
}
