//! Keeping the read models at each commit: what a batch changes of each
//! person it touches ([`PersonChanges`], worked out when a roll is
//! validated), laid over their stored rows under the append lock
//! ([`read_batch`], [`merge_batch`] beside the journal's inserts,
//! [`write_batch`]).

use super::{approvals_delta, roll_names, PersonState, RefusedPayment, SETTLED};
use crate::domain::journal::NewEntry;
use crate::domain::text::fold_key;
use crate::domain::AccountPath;
use crate::fast_hash::FastMap;
use crate::store::person_cache::{CachedPeople, CachedRow, CachedScope, FiguresRow, StoredFigures};
use crate::store::{
    AppendTx, PersonFigures, PersonWrites, RollPeople, ScopeTotalRecord, StoreResult,
};

/// The roll a batch commits: its kind (`approvals` or `payments`), program
/// and district.
pub struct RollScope<'a> {
    pub kind: &'a str,
    pub program: &'a str,
    pub district: &'a str,
}

impl<'a> RollScope<'a> {
    pub fn new(kind: &'a str, program: &'a str, district: &'a str) -> RollScope<'a> {
        RollScope {
            kind,
            program,
            district,
        }
    }
}

/// What one batch changes of each person it touches, per program and
/// district: computed from the batch alone (an import's when its roll is
/// validated, any other while the commit checks and hashes), then laid
/// over the stored rows under the append lock.
#[derive(Debug, Default)]
pub struct PersonChanges {
    /// (program, district) and its people; a batch touches a few scopes.
    scopes: Vec<((String, String), FastMap<String, PersonChange>)>,
}

/// A batch's change to one person, in the order a rebuild applies it:
/// postings, then the approval roll's name, then refused payment lines.
#[derive(Debug, Default)]
struct PersonChange {
    /// The category of the last payable posting.
    category: Option<String>,
    outstanding_dong: i64,
    paid_dong: i64,
    approvals: i64,
    /// The name the approval roll wrote, and its folded key.
    name: Option<(String, String)>,
    refused: Vec<RefusedPayment>,
}

impl PersonChange {
    /// Whether only the figures (and category) of a stored row change.
    fn figures_only(&self) -> bool {
        self.name.is_none() && self.refused.is_empty()
    }

    fn apply(&self, state: &mut PersonState) {
        if let Some(category) = &self.category {
            if state.category != *category {
                state.category.clone_from(category);
            }
        }
        state.outstanding_dong += self.outstanding_dong;
        state.paid_dong += self.paid_dong;
        state.approvals += self.approvals;
        if let Some((name, name_key)) = &self.name {
            if state.full_name != *name {
                state.full_name.clone_from(name);
                state.name_key.clone_from(name_key);
            }
        }
        for refused in &self.refused {
            if state.full_name.is_empty() {
                if let Some(name) = &refused.written_name {
                    state.set_name(name);
                }
            }
            state.refused.push(refused.line.clone());
        }
    }
}

impl PersonChanges {
    pub fn of(batch: &crate::ledger::Batch) -> StoreResult<PersonChanges> {
        let roll = batch
            .import_commit
            .as_ref()
            .map(|commit| RollScope::new(commit.kind, &commit.program, &commit.district));
        let mut changes =
            PersonChanges::of_roll(&batch.entries, roll.as_ref(), batch.roll_people.as_ref())?;
        if let Some(roll) = &roll {
            changes.add_refused(roll, &batch.refused_payments);
        }
        Ok(changes)
    }

    /// What a roll's entries and the names it wrote change: all of
    /// [`PersonChanges::of`] but the refused lines, which need the import's
    /// number. Worked out when the roll is validated, so that its commit
    /// does not wait for it.
    pub fn of_roll(
        entries: &[NewEntry],
        roll: Option<&RollScope<'_>>,
        roll_people: Option<&RollPeople>,
    ) -> StoreResult<PersonChanges> {
        let mut changes = PersonChanges::default();
        // A roll's postings share a few accounts (a clone is the same
        // text): the last one's scope and category serve until it changes.
        let mut last: Option<(&AccountPath, usize, &str)> = None;
        for entry in entries {
            for posting in &entry.postings {
                let Some(person) = &posting.beneficiary else {
                    continue;
                };
                let account = &posting.account;
                let (scope, category) = match last {
                    Some((seen, scope, category)) if seen == account => (scope, category),
                    _ => {
                        let Some([program, district, category]) = account.payable_parts() else {
                            continue;
                        };
                        let scope = changes.scope_index(program, district);
                        last = Some((account, scope, category));
                        (scope, category)
                    }
                };
                let change = changes.person_in(scope, person);
                if change.category.as_deref() != Some(category) {
                    change.category = Some(category.to_string());
                }
                let amount_dong = posting.amount.dong();
                change.outstanding_dong += amount_dong;
                if posting.reference.is_some() {
                    change.paid_dong -= amount_dong;
                }
                change.approvals += approvals_delta(entry.kind, amount_dong);
            }
        }
        if let (Some(roll), Some(people)) = (roll, roll_people) {
            if roll.kind == "approvals" {
                for (id, name) in roll_names(people.as_str())? {
                    let name_key = fold_key(&name);
                    changes.person(roll.program, roll.district, &id).name = Some((name, name_key));
                }
            }
        }
        Ok(changes)
    }

    /// A payment roll's refused lines.
    pub fn add_refused(&mut self, roll: &RollScope<'_>, refused: &[RefusedPayment]) {
        for line in refused {
            self.person(roll.program, roll.district, &line.national_id)
                .refused
                .push(line.clone());
        }
    }

    fn person(&mut self, program: &str, district: &str, national_id: &str) -> &mut PersonChange {
        let scope = self.scope_index(program, district);
        self.person_in(scope, national_id)
    }

    /// The index of the scope of `program` and `district`, added if new.
    fn scope_index(&mut self, program: &str, district: &str) -> usize {
        let found = self
            .scopes
            .iter()
            .position(|((p, d), _)| p == program && d == district);
        found.unwrap_or_else(|| {
            let key = (program.to_string(), district.to_string());
            self.scopes.push((key, FastMap::default()));
            self.scopes.len() - 1
        })
    }

    fn person_in(&mut self, scope: usize, national_id: &str) -> &mut PersonChange {
        let people = &mut self.scopes[scope].1;
        if people.contains_key(national_id) {
            people.get_mut(national_id).expect("found above")
        } else {
            people.entry(national_id.to_string()).or_default()
        }
    }
}

/// The fewest people of a scope a batch must touch for the scope's figures
/// to be read whole and kept for the next commits ([`CachedPeople`]): a
/// roll, not a reversal of one person or a short roll from a one-off
/// command.
const SCOPE_CACHE_PEOPLE_MIN: usize = 500;

/// The stored rows a batch's merge needs beyond the cached figures, one map
/// a scope of the batch (in the order of [`PersonChanges`]), read in the
/// append transaction; `None` while the read models wait to be rebuilt
/// (the rebuild will count this batch too).
pub struct StoredRows(Option<Vec<FastMap<String, PersonState>>>);

/// The read models are kept in the commit's own transaction in three
/// steps: [`read_batch`] reads, under the append lock, the rows of the
/// people the batch touches; [`merge_batch`] lays the batch's changes over
/// them on another thread while the journal's rows are inserted;
/// [`write_batch`] writes the result with the totals' differences.
///
/// Reads what [`merge_batch`] needs: each scope's figures into `cached`
/// where the batch touches enough of its people and the process has room
/// for them, and the stored rows of the people the cached figures do not
/// answer for.
pub async fn read_batch(
    tx: &mut dyn AppendTx,
    changes: &PersonChanges,
    cached: &mut CachedPeople,
) -> StoreResult<StoredRows> {
    if !tx.read_models_built().await? {
        return Ok(StoredRows(None));
    }
    let mut laps = crate::telemetry::Laps::start("read models");
    let mut scopes = Vec::with_capacity(changes.scopes.len());
    for ((program, district), people) in &changes.scopes {
        let scope = cached_scope(tx, cached, program, district, people.len()).await?;
        let to_read: Vec<String> = people
            .iter()
            .filter(|(id, change)| must_read(scope.as_deref().map(|s| s.row(id)), change))
            .map(|(id, _)| id.clone())
            .collect();
        let mut stored: FastMap<String, PersonState> = FastMap::default();
        for record in tx.person_records(program, district, &to_read).await? {
            let ((_, _, id), state) = PersonState::from_record(&record)?;
            stored.insert(id, state);
        }
        scopes.push(stored);
    }
    laps.lap("read rows");
    Ok(StoredRows(Some(scopes)))
}

/// What a batch writes to the read models: its people's rows and the
/// differences of the totals.
pub struct ReadModelWrites {
    people: PersonWrites,
    totals: Vec<ScopeTotalRecord>,
}

/// Works out the batch's read model rows and totals from the stored rows
/// and the cached figures (valid at the head this commit appends to), and
/// leaves in `cached` the figures it will write. Touches no database: it
/// runs while the journal's rows are inserted.
pub fn merge_batch(
    changes: &PersonChanges,
    stored: StoredRows,
    cached: &mut CachedPeople,
) -> Option<ReadModelWrites> {
    let stored_scopes = stored.0?;
    let mut laps = crate::telemetry::Laps::start("read models");
    let mut writes = PersonWrites::default();
    let mut totals = TotalsDifference::default();
    let mut scopes: Vec<_> = changes.scopes.iter().zip(stored_scopes).collect();
    scopes.sort_unstable_by(|a, b| (a.0).0.cmp(&(b.0).0));
    for (((program, district), people), mut stored) in scopes {
        let mut scope = cached.scope_mut(program, district);
        let mut ids: Vec<&String> = people.keys().collect();
        ids.sort_unstable();
        let mut every_row_kept = true;
        for id in ids {
            let change = &people[id];
            let cached_row = scope.as_deref().map(|s| s.row(id));
            let (mut state, was_stored) = match (stored.remove(id), scope.as_deref(), cached_row) {
                (Some(state), ..) => (state, true),
                (None, Some(scope), Some(CachedRow::Stored(figures))) => {
                    (state_of_figures(scope, &figures), true)
                }
                _ => (PersonState::default(), false),
            };
            if was_stored {
                totals.add(program, district, &state, -1);
            }
            change.apply(&mut state);
            totals.add(program, district, &state, 1);
            if let Some(scope) = scope.as_mut() {
                every_row_kept &= scope.set(&FiguresRow {
                    national_id: id,
                    category: &state.category,
                    outstanding_dong: state.outstanding_dong,
                    paid_dong: state.paid_dong,
                    approvals: state.approvals,
                    has_refused: !state.refused.is_empty(),
                });
            }
            match (was_stored, change.figures_only()) {
                (false, _) => writes.added.push(state.into_record(program, district, id)),
                (true, false) => writes
                    .rewritten
                    .push(state.into_record(program, district, id)),
                (true, true) => writes
                    .refigured
                    .push(figures_of(program, district, id, state)),
            }
        }
        if !every_row_kept {
            cached.remove(program, district);
        }
    }
    laps.lap("apply");
    Some(ReadModelWrites {
        people: writes,
        totals: totals.into_rows(),
    })
}

/// Writes what [`merge_batch`] worked out, in the append transaction.
pub async fn write_batch(tx: &mut dyn AppendTx, writes: &ReadModelWrites) -> StoreResult<()> {
    let mut laps = crate::telemetry::Laps::start("read models");
    tx.put_person_records(&writes.people).await?;
    laps.lap("write rows");
    tx.add_scope_totals(&writes.totals).await?;
    laps.lap("write totals");
    Ok(())
}

/// The scope's cached figures; read whole first when the batch touches
/// enough of its people and the process has room for them.
async fn cached_scope<'c>(
    tx: &mut dyn AppendTx,
    cached: &'c mut CachedPeople,
    program: &str,
    district: &str,
    people_touched: usize,
) -> StoreResult<Option<&'c mut CachedScope>> {
    let worth_reading = people_touched >= SCOPE_CACHE_PEOPLE_MIN && CachedPeople::has_room();
    if cached.scope_mut(program, district).is_none() && worth_reading {
        let mut scope = CachedScope::new(program, district);
        if tx.scope_figures(&mut scope).await? {
            cached.insert(scope);
        }
    }
    Ok(cached.scope_mut(program, district))
}

/// A stored person as far as the cached figures tell: what a change of
/// the figures alone needs.
fn state_of_figures(scope: &CachedScope, figures: &StoredFigures) -> PersonState {
    PersonState {
        category: scope.category(figures).to_string(),
        outstanding_dong: figures.outstanding_dong,
        paid_dong: figures.paid_dong,
        approvals: figures.approvals,
        ..PersonState::default()
    }
}

/// What a payment writes of a stored person's row.
fn figures_of(program: &str, district: &str, id: &str, state: PersonState) -> PersonFigures {
    PersonFigures {
        program: program.to_string(),
        district: district.to_string(),
        national_id: id.to_string(),
        status: state.status(),
        category: state.category,
        outstanding_dong: state.outstanding_dong,
        paid_dong: state.paid_dong,
        approvals: state.approvals,
    }
}

/// Whether a person's stored row must be read: the scope is not cached,
/// the ID cannot be cached, or the change needs more than the figures (a
/// name, refused lines, or a status that depends on stored refused lines).
fn must_read(cached_row: Option<CachedRow>, change: &PersonChange) -> bool {
    match cached_row {
        None | Some(CachedRow::Unknown) => true,
        Some(CachedRow::Absent) => false,
        Some(CachedRow::Stored(figures)) => !change.figures_only() || figures.has_refused,
    }
}

/// Per program, district and status, what a batch adds to the totals.
#[derive(Default)]
struct TotalsDifference {
    rows: Vec<ScopeTotalRecord>,
}

impl TotalsDifference {
    /// Adds (`sign` 1) or takes away (−1) one person's part; settled people
    /// are counted nowhere.
    fn add(&mut self, program: &str, district: &str, state: &PersonState, sign: i64) {
        let status = state.status();
        if status == SETTLED {
            return;
        }
        // A batch's people fall in a few scopes and statuses: a search of
        // a short list beats building a key for each.
        let found = self
            .rows
            .iter()
            .position(|t| t.status == status && t.district == district && t.program == program);
        let index = found.unwrap_or_else(|| {
            self.rows.push(ScopeTotalRecord {
                program: program.to_string(),
                district: district.to_string(),
                status: status.to_string(),
                beneficiaries: 0,
                approved_dong: 0,
                paid_dong: 0,
                outstanding_dong: 0,
            });
            self.rows.len() - 1
        });
        let total = &mut self.rows[index];
        total.beneficiaries += sign;
        total.approved_dong += sign * state.approved_dong();
        total.paid_dong += sign * state.paid_dong;
        total.outstanding_dong += sign * state.outstanding_dong;
    }

    /// The differences that are not nothing, in key order.
    fn into_rows(mut self) -> Vec<ScopeTotalRecord> {
        self.rows.retain(|t| {
            t.beneficiaries != 0
                || t.approved_dong != 0
                || t.paid_dong != 0
                || t.outstanding_dong != 0
        });
        self.rows.sort_unstable_by(|a, b| {
            (&a.program, &a.district, &a.status).cmp(&(&b.program, &b.district, &b.status))
        });
        self.rows
    }
}
