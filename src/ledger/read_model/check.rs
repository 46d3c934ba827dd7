//! What `verify --full` does with the read models.

use super::{Builder, ReadModel, Taken};
use crate::store::{PersonRow, ScopeTotalRecord};

/// What `verify` does with the read models: recomputes them from its scan
/// of the journal, then takes each stored row, as they stream in, out of
/// the recomputed ones and compares it; none may be left over. Nothing is
/// sorted nor copied: the recomputed people shrink as the rows come.
pub struct ReadModelCheck {
    pub builder: Builder,
    expected: Option<Result<Expected, String>>,
    stored_totals: Vec<ScopeTotalRecord>,
    people: u64,
    problem: Option<String>,
}

struct Expected {
    model: ReadModel,
    totals: Vec<ScopeTotalRecord>,
}

impl Default for ReadModelCheck {
    fn default() -> Self {
        ReadModelCheck {
            builder: Builder::comparing_names(),
            expected: None,
            stored_totals: Vec::new(),
            people: 0,
            problem: None,
        }
    }
}

impl ReadModelCheck {
    fn expected(&mut self) -> Result<&mut Expected, String> {
        let expected = self.expected.get_or_insert_with(|| {
            std::mem::take(&mut self.builder)
                .finish()
                .map(|model| Expected {
                    totals: model.totals(),
                    model,
                })
        });
        expected.as_mut().map_err(|reason| reason.clone())
    }

    /// The next stored row.
    pub fn person(&mut self, stored: &PersonRow<'_>) {
        if self.problem.is_some() {
            return;
        }
        let taken = match self.expected() {
            Ok(expected) => expected.model.take(stored),
            Err(reason) => {
                self.problem = Some(reason);
                return;
            }
        };
        self.problem = match taken {
            Taken::Matches => {
                self.people += 1;
                None
            }
            Taken::Differs(recomputed) => Some(format!(
                "the row of {} in program {} district {} differs from the journal: stored {stored:?}, recomputed {recomputed:?}",
                stored.national_id, stored.program, stored.district
            )),
            Taken::Missing => Some(format!(
                "the read models hold {} in program {} district {}, whom the journal does not name (or twice): run `ansinh rebuild-read-models`",
                stored.national_id, stored.program, stored.district
            )),
        };
    }

    pub fn scope_total(&mut self, stored: ScopeTotalRecord) {
        self.stored_totals.push(stored);
    }

    /// How many people's rows agreed (`None` unless `whole`: an incremental
    /// check reads no read model), or the first difference.
    pub fn finish(
        mut self,
        whole: bool,
    ) -> Result<Option<u64>, crate::ledger::verify::VerifyProblem> {
        if !whole {
            return Ok(None);
        }
        let stored_totals = std::mem::take(&mut self.stored_totals);
        let problem = match (self.problem.take(), self.expected()) {
            (Some(problem), _) | (None, Err(problem)) => Some(problem),
            (None, Ok(expected)) => match expected.model.first_key() {
                Some((program, district, national_id)) => Some(format!(
                    "the read models miss {national_id} in program {program} district {district}: run `ansinh rebuild-read-models`"
                )),
                None if expected.totals != stored_totals => Some(
                    "the reconciliation totals (scope_totals) differ from the people's rows recomputed from the journal".to_string(),
                ),
                None => None,
            },
        };
        match problem {
            Some(reason) => Err(crate::ledger::verify::VerifyProblem {
                at: crate::ledger::verify::Place::ReadModels,
                reason,
            }),
            None => Ok(Some(self.people)),
        }
    }
}
