//! The checks of `verify --full` that follow people rather than entries —
//! the per-person rules and the read models, recomputed and compared — on
//! a thread of their own: the verifier checks each entry's chain, hash,
//! totals and balances, then hands its postings over, so a whole ledger's
//! check uses both cores. Everything reaches this thread in journal order;
//! its first problem is weighed against the verifier's at the end.

use super::account_memo::AccountMemo;
use super::person_key::PersonKeys;
use super::read_model::ReadModelCheck;
use super::verify::VerifyProblem;
use crate::domain::journal::{EntryKind, Posting};
use crate::fast_hash::FastMap;
use crate::store::{PersonRecord, ScopeTotalRecord, StoredEvidence, StoredImportCommit};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// Messages in flight to the thread: with a roll's entry of tens of
/// thousands of postings in each, this bounds the memory they hold.
const MESSAGES_IN_FLIGHT: usize = 8;
/// Stored read model rows sent at once.
const PEOPLE_PER_MESSAGE: usize = 4_096;

enum Message {
    Entry {
        seq: i64,
        kind: EntryKind,
        postings: Vec<Posting>,
    },
    ImportCommit(StoredImportCommit),
    RollEvidence(StoredEvidence),
    People(Vec<PersonRecord>),
    ScopeTotal(ScopeTotalRecord),
}

/// What the people's checks found.
pub struct PeopleOutcome {
    /// The first entry that broke a per-person rule, and why.
    pub problem: Option<(i64, String)>,
    /// How many people's read model rows agreed, or the first difference.
    pub read_models: Result<Option<u64>, VerifyProblem>,
}

/// The people's checks, on their thread (or here, if no thread could start).
pub struct PeopleCheck {
    runner: Runner,
    /// Stored rows waiting to be sent.
    people: Vec<PersonRecord>,
}

enum Runner {
    Thread {
        sender: SyncSender<Message>,
        /// Postings the thread is done with, back to be freed here.
        spent: Receiver<Vec<Posting>>,
        handle: std::thread::JoinHandle<PeopleState>,
    },
    Inline(Box<PeopleState>),
}

impl PeopleCheck {
    pub fn start() -> PeopleCheck {
        let (sender, receiver) = sync_channel(MESSAGES_IN_FLIGHT);
        let (spent_sender, spent) = sync_channel(MESSAGES_IN_FLIGHT);
        let spawned = std::thread::Builder::new()
            .name("verify-people".into())
            .spawn(move || PeopleState::run(receiver, spent_sender));
        let runner = match spawned {
            Ok(handle) => Runner::Thread {
                sender,
                spent,
                handle,
            },
            Err(error) => {
                tracing::warn!(%error, "verify: no thread for the people's checks; they run inline");
                Runner::Inline(Box::default())
            }
        };
        PeopleCheck {
            runner,
            people: Vec::new(),
        }
    }

    fn send(&mut self, message: Message) {
        match &mut self.runner {
            Runner::Thread { sender, spent, .. } => {
                // Freed by the thread that decoded them: the allocator then
                // reuses their memory instead of taking fresh pages.
                spent.try_iter().for_each(drop);
                // A closed channel means the thread ended: `finish` says why.
                let _ = sender.send(message);
            }
            Runner::Inline(state) => drop(state.handle(message)),
        }
    }

    /// An entry the verifier checked, with its postings, in journal order.
    pub fn entry(&mut self, seq: i64, kind: EntryKind, postings: Vec<Posting>) {
        self.send(Message::Entry {
            seq,
            kind,
            postings,
        });
    }

    pub fn import_commit(&mut self, commit: &StoredImportCommit) {
        self.send(Message::ImportCommit(commit.clone()));
    }

    /// What an import stored, but its file (the read models read the roll's
    /// people and report only).
    pub fn import_evidence(&mut self, evidence: &StoredEvidence) {
        self.send(Message::RollEvidence(StoredEvidence {
            import_id: evidence.import_id,
            kind: evidence.kind.clone(),
            program: evidence.program.clone(),
            district: evidence.district.clone(),
            file_name: evidence.file_name.clone(),
            sha256: evidence.sha256.clone(),
            size_bytes: evidence.size_bytes,
            content_encoding: evidence.content_encoding.clone(),
            content: Vec::new(),
            report: evidence.report.clone(),
            people: evidence.people.clone(),
        }));
    }

    pub fn person(&mut self, record: PersonRecord) {
        self.people.push(record);
        if self.people.len() >= PEOPLE_PER_MESSAGE {
            self.send_people();
        }
    }

    fn send_people(&mut self) {
        if !self.people.is_empty() {
            let people = std::mem::take(&mut self.people);
            self.send(Message::People(people));
        }
    }

    pub fn scope_total(&mut self, record: ScopeTotalRecord) {
        self.send_people();
        self.send(Message::ScopeTotal(record));
    }

    pub fn finish(mut self) -> PeopleOutcome {
        self.send_people();
        let state = match self.runner {
            Runner::Thread { sender, handle, .. } => {
                drop(sender);
                match handle.join() {
                    Ok(state) => state,
                    Err(_) => {
                        return PeopleOutcome {
                            problem: None,
                            read_models: Err(VerifyProblem {
                                at: super::verify::Place::ReadModels,
                                reason: "the check of the read models stopped unexpectedly".into(),
                            }),
                        }
                    }
                }
            }
            Runner::Inline(state) => *state,
        };
        PeopleOutcome {
            problem: state.problem,
            read_models: state.read_models.finish(true),
        }
    }
}

#[derive(Default)]
struct PeopleState {
    balances: PersonBalances,
    problem: Option<(i64, String)>,
    read_models: ReadModelCheck,
}

impl PeopleState {
    fn run(receiver: Receiver<Message>, spent: SyncSender<Vec<Posting>>) -> PeopleState {
        let mut state = PeopleState::default();
        for message in receiver {
            if let Some(postings) = state.handle(message) {
                // Dropped here only if the sender's side is full or gone.
                let _ = spent.try_send(postings);
            }
        }
        state
    }

    /// Handles `message`; returns an entry's postings once done with them.
    fn handle(&mut self, message: Message) -> Option<Vec<Posting>> {
        match message {
            Message::Entry {
                seq,
                kind,
                postings,
            } => {
                if self.problem.is_none() {
                    if let Err(reason) = self.balances.apply(kind, &postings) {
                        self.problem = Some((seq, reason));
                    }
                }
                self.read_models.builder.entry(kind, &postings);
                return Some(postings);
            }
            Message::ImportCommit(commit) => self.read_models.builder.import_commit(&commit),
            Message::RollEvidence(evidence) => self.read_models.builder.import_evidence(&evidence),
            Message::People(records) => {
                for record in &records {
                    self.read_models.person(&record.as_row());
                }
            }
            Message::ScopeTotal(record) => self.read_models.scope_total(record),
        }
        None
    }
}

/// The per-person rules, over the whole journal: on each `payable` account a
/// person's balance never goes below zero (paid and reversed ≤ approved), and
/// a person holds at most one approval in force per program. Keys are
/// numbers (accounts and programs interned, national IDs read as digits),
/// and a person's first payable account of a program is kept beside their
/// approvals in force there (nearly everyone has one account a program), so
/// that a province's hundreds of thousands of people cost tens of MiB, not
/// hundreds.
#[derive(Default)]
struct PersonBalances {
    /// Payable accounts and programs, interned.
    names: FastMap<String, u32>,
    people: PersonKeys,
    /// (program, person) → their approvals in force and first account's balance.
    programs: FastMap<(u32, u64), ProgramPerson>,
    /// (payable account, person) → balance, đồng, of any other account.
    other_accounts: FastMap<(u32, u64), i64>,
}

/// A person in a program.
#[derive(Clone, Copy)]
struct ProgramPerson {
    balance_dong: i64,
    approvals_in_force: i32,
    /// The payable account `balance_dong` is of.
    account: u32,
}

impl PersonBalances {
    fn name(&mut self, name: &str) -> u32 {
        if let Some(&index) = self.names.get(name) {
            return index;
        }
        let next = self.names.len() as u32;
        self.names.insert(name.to_string(), next);
        next
    }

    fn apply(&mut self, kind: EntryKind, postings: &[Posting]) -> Result<(), String> {
        let mut accounts = AccountMemo::new();
        for posting in postings {
            let Some(id) = &posting.beneficiary else {
                continue;
            };
            let interned = accounts.get(&posting.account, |account| {
                (account.kind() == "payable").then(|| {
                    let program_name = account.segment(1).unwrap_or_default();
                    (
                        self.name(account.as_str()),
                        self.name(program_name),
                        program_name,
                    )
                })
            });
            let Some((account, program, program_name)) = interned else {
                continue;
            };
            let person = self.people.key(id);
            let in_program = self
                .programs
                .entry((program, person))
                .or_insert(ProgramPerson {
                    balance_dong: 0,
                    approvals_in_force: 0,
                    account,
                });
            let balance = if in_program.account == account {
                &mut in_program.balance_dong
            } else {
                self.other_accounts.entry((account, person)).or_insert(0)
            };
            *balance += posting.amount.dong();
            if *balance < 0 {
                return Err(format!(
                    "beneficiary {id}'s balance on {} goes below zero ({balance}): more paid or reversed than approved",
                    posting.account
                ));
            }
            let delta = super::totals::approvals_delta(kind, posting);
            let in_force = &mut in_program.approvals_in_force;
            *in_force += delta as i32;
            if !(0..=1).contains(in_force) {
                return Err(format!(
                    "beneficiary {id} holds {in_force} approvals in force in program {program_name} after this entry (one at most, never below none)"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::PersonBalances;
    use crate::domain::journal::{EntryKind, Posting};
    use crate::domain::{AccountPath, Money};

    fn payable(district: &str, category: &str, dong: i64, voucher: bool) -> Posting {
        Posting {
            account: AccountPath::payable("NQ68", district, category),
            amount: Money::from_dong(dong),
            beneficiary: Some("084123456789".into()),
            source_line: None,
            reference: voucher.then(|| "PC-1".to_string()),
        }
    }

    #[test]
    fn each_account_of_a_person_keeps_its_own_balance() {
        let mut rules = PersonBalances::default();
        let approved = [payable("842", "tu-do", 1_500_000, false)];
        assert_eq!(rules.apply(EntryKind::Approval, &approved), Ok(()));
        // What one account holds does not pay from another.
        let paid_elsewhere = [payable("842", "tre-em", -1, true)];
        let refused = rules.apply(EntryKind::Payment, &paid_elsewhere);
        assert!(refused.is_err_and(|reason| reason.contains("payable:NQ68:842:tre-em")));
        // Reversed, then approved in another category: two accounts, each its own.
        let mut rules = PersonBalances::default();
        let steps = [
            (
                EntryKind::Approval,
                payable("842", "tu-do", 1_500_000, false),
            ),
            (
                EntryKind::Reversal,
                payable("842", "tu-do", -1_500_000, false),
            ),
            (
                EntryKind::Approval,
                payable("842", "tre-em", 1_000_000, false),
            ),
            (
                EntryKind::Payment,
                payable("842", "tre-em", -1_000_000, true),
            ),
        ];
        for (kind, posting) in steps {
            assert_eq!(rules.apply(kind, &[posting]), Ok(()));
        }
        let overpaid = [payable("842", "tu-do", -1, true)];
        let refused = rules.apply(EntryKind::Payment, &overpaid);
        assert!(refused.is_err_and(|reason| reason.contains("payable:NQ68:842:tu-do")));
    }

    #[test]
    fn one_approval_in_force_a_program_across_districts() {
        let mut rules = PersonBalances::default();
        let first = [payable("842", "tu-do", 1_500_000, false)];
        assert_eq!(rules.apply(EntryKind::Approval, &first), Ok(()));
        let second = [payable("843", "tu-do", 1_500_000, false)];
        let refused = rules.apply(EntryKind::Approval, &second);
        assert!(refused.is_err_and(|reason| reason.contains("2 approvals in force")));
    }
}
