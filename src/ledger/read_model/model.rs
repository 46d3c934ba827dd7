//! The read models of a whole ledger in memory, as a rebuild and `verify
//! --full` recompute them: every person of a province at once (785,000 in
//! the largest), so each is 40 bytes in a `Vec` with no allocation of its
//! own — IDs as numbers, categories interned, names in one text, refused
//! lines (rare) apart. With a `String` per field a province took hundreds
//! of MiB, and the allocator kept them after the verification.

use super::{approvals_delta, PersonState, SETTLED};
use crate::domain::journal::EntryKind;
use crate::domain::text::{fold_key, folds_to};
use crate::fast_hash::FastMap;
use crate::ledger::person_key::PersonKeys;
use crate::reconcile::{status_of, RefusedLine};
use crate::store::{PersonRecord, PersonRow, ScopeTotalRecord};
use std::collections::BTreeMap;

/// People's states, changed by postings, rolls and refused lines: per
/// program and district (a ledger holds tens of them), each person by ID,
/// so that a posting finds its person without building a key.
#[derive(Debug)]
pub struct ReadModel {
    scopes: Vec<ScopePeople>,
    /// The scope the last lookup found: an entry's postings share one.
    last_scope: usize,
    keys: PersonKeys,
    categories: Vec<String>,
    category_index: FastMap<String, u32>,
    names: Names,
    /// Each refused person's lines; index 0 is nobody's (no line refused).
    refused: Vec<Vec<RefusedLine>>,
    /// Set when `names` outgrew a `u32` span: the model cannot be trusted.
    too_large: bool,
}

#[derive(Debug)]
struct ScopePeople {
    program: String,
    district: String,
    /// Person key → index in `people`.
    index: FastMap<u64, u32>,
    people: People,
}

/// One person's figures; texts are indexes into the model.
#[derive(Debug, Clone, Copy, Default)]
struct Person {
    outstanding_dong: i64,
    paid_dong: i64,
    approvals: i64,
    /// The person's name as [`Names`] keeps it; 0: none.
    name: u64,
    category: u32,
    refused: u32,
}
const _: () = assert!(std::mem::size_of::<Person>() == 40);

/// People in chunks of a fixed size: a province's 785,000 grow without a
/// doubling `Vec`'s moment of holding the old and the new copy at once.
#[derive(Debug, Default)]
struct People {
    chunks: Vec<Vec<Person>>,
    len: usize,
}

const PEOPLE_PER_CHUNK: usize = 4_096;

impl People {
    fn push(&mut self, person: Person) {
        if self.len.is_multiple_of(PEOPLE_PER_CHUNK) {
            self.chunks.push(Vec::with_capacity(PEOPLE_PER_CHUNK));
        }
        if let Some(chunk) = self.chunks.last_mut() {
            chunk.push(person);
            self.len += 1;
        }
    }

    fn get(&self, index: usize) -> &Person {
        &self.chunks[index / PEOPLE_PER_CHUNK][index % PEOPLE_PER_CHUNK]
    }

    fn get_mut(&mut self, index: usize) -> &mut Person {
        &mut self.chunks[index / PEOPLE_PER_CHUNK][index % PEOPLE_PER_CHUNK]
    }
}

/// How names are kept: a rebuild writes them, so it keeps their text (every
/// name one after another in one `String`, a person's name its span there:
/// start in the high half, length in the low); `verify` only compares them
/// with the stored rows, so it keeps a 64-bit hash of each, seeded at
/// random per process (a stored name made to collide would need the seed).
/// Either way 0 is no name.
#[derive(Debug)]
enum Names {
    Text(String),
    Hashes(foldhash::quality::RandomState),
}

impl Names {
    /// How `name` is kept, or `None` when the text outgrows 4 GiB.
    fn keep(&mut self, name: &str) -> Option<u64> {
        if name.is_empty() {
            return Some(0);
        }
        match self {
            Names::Text(text) => {
                let start = u32::try_from(text.len()).ok()?;
                let len = u32::try_from(name.len()).ok()?;
                start.checked_add(len)?;
                text.push_str(name);
                Some((u64::from(start) << 32) | u64::from(len))
            }
            Names::Hashes(_) => Some(self.hash(name)),
        }
    }

    fn hash(&self, name: &str) -> u64 {
        match self {
            Names::Hashes(state) if !name.is_empty() => {
                std::hash::BuildHasher::hash_one(state, name) | 1
            }
            _ => 0,
        }
    }

    /// Whether the name kept as `kept` is `name`.
    fn is(&self, kept: u64, name: &str) -> bool {
        match self {
            Names::Text(_) => self.text(kept) == name,
            Names::Hashes(_) => kept == self.hash(name),
        }
    }

    /// The text of a name kept as `kept` (a hash's text is not kept).
    fn text(&self, kept: u64) -> &str {
        match self {
            Names::Text(text) => {
                let start = (kept >> 32) as usize;
                let len = (kept & u64::from(u32::MAX)) as usize;
                text.get(start..start + len).unwrap_or_default()
            }
            Names::Hashes(_) if kept == 0 => "",
            Names::Hashes(_) => "(not kept: verify compares names by their hash)",
        }
    }
}

/// What a stored row is, against the recomputed one.
pub enum Taken {
    Matches,
    Differs(Box<PersonRecord>),
    Missing,
}

impl Default for ReadModel {
    fn default() -> Self {
        ReadModel::keeping(Names::Text(String::new()))
    }
}

impl ReadModel {
    /// A model that keeps names as hashes: for `verify`, which only
    /// compares them.
    pub fn comparing_names() -> ReadModel {
        ReadModel::keeping(Names::Hashes(foldhash::quality::RandomState::default()))
    }

    fn keeping(names: Names) -> ReadModel {
        let mut model = ReadModel {
            scopes: Vec::new(),
            last_scope: 0,
            keys: PersonKeys::default(),
            categories: Vec::new(),
            category_index: FastMap::default(),
            names,
            refused: vec![Vec::new()],
            too_large: false,
        };
        // Category 0 is none yet (a person only a roll names so far).
        model.category("");
        model
    }

    fn category(&mut self, category: &str) -> u32 {
        if let Some(&index) = self.category_index.get(category) {
            return index;
        }
        let index = self.categories.len() as u32;
        self.categories.push(category.to_string());
        self.category_index.insert(category.to_string(), index);
        index
    }

    fn scope_index(&mut self, program: &str, district: &str) -> usize {
        let found = self
            .scopes
            .get(self.last_scope)
            .is_some_and(|scope| scope.program == program && scope.district == district);
        if !found {
            self.last_scope = match self
                .scopes
                .iter()
                .position(|scope| scope.program == program && scope.district == district)
            {
                Some(index) => index,
                None => {
                    self.scopes.push(ScopePeople {
                        program: program.to_string(),
                        district: district.to_string(),
                        index: FastMap::default(),
                        people: People::default(),
                    });
                    self.scopes.len() - 1
                }
            };
        }
        self.last_scope
    }

    /// Where the person is (scope, index), added with nothing if not held yet.
    fn person(&mut self, program: &str, district: &str, national_id: &str) -> (usize, usize) {
        let scope_index = self.scope_index(program, district);
        let key = self.keys.key(national_id);
        let scope = &mut self.scopes[scope_index];
        let next = scope.people.len as u32;
        let index = *scope.index.entry(key).or_insert(next);
        if index == next {
            scope.people.push(Person::default());
        }
        (scope_index, index as usize)
    }

    fn at(&mut self, (scope, index): (usize, usize)) -> &mut Person {
        self.scopes[scope].people.get_mut(index)
    }

    fn set_name(&mut self, at: (usize, usize), name: &str) {
        let kept = self.at(at).name;
        if self.names.is(kept, name) {
            return;
        }
        match self.names.keep(name) {
            Some(kept) => self.at(at).name = kept,
            None => self.too_large = true,
        }
    }

    fn refused_of(&self, person: &Person) -> &[RefusedLine] {
        self.refused
            .get(person.refused as usize)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    fn status(&self, person: &Person) -> &'static str {
        let refused = self.refused_of(person);
        if person.outstanding_dong == 0 && person.paid_dong == 0 && refused.is_empty() {
            return SETTLED;
        }
        let approved_dong = person.outstanding_dong + person.paid_dong;
        status_of(approved_dong, person.paid_dong, refused).as_str()
    }

    /// A posting of an entry of `kind` on a person's `payable:P:D:C`
    /// account (program, district, category): approved (or an approval
    /// reversed) without a voucher reference, paid (or a payment reversed)
    /// with one.
    pub(super) fn payable_posting(
        &mut self,
        kind: EntryKind,
        [program, district, category]: [&str; 3],
        amount_dong: i64,
        national_id: &str,
        has_voucher: bool,
    ) {
        let at = self.person(program, district, national_id);
        let held = self.at(at).category;
        if self.categories[held as usize] != category {
            let interned = self.category(category);
            self.at(at).category = interned;
        }
        let person = self.at(at);
        person.outstanding_dong += amount_dong;
        if has_voucher {
            person.paid_dong -= amount_dong;
        }
        person.approvals += approvals_delta(kind, amount_dong);
    }

    /// The people of an approval roll of `program` and `district`, with the
    /// names the roll wrote.
    pub fn approval_roll(&mut self, program: &str, district: &str, names: &[(String, String)]) {
        for (id, name) in names {
            let at = self.person(program, district, id);
            self.set_name(at, name);
        }
    }

    /// The refused lines of a payment roll of `program` and `district`.
    pub fn refused_lines(
        &mut self,
        program: &str,
        district: &str,
        lines: &[super::RefusedPayment],
    ) {
        for refused in lines {
            let at = self.person(program, district, &refused.national_id);
            if self.at(at).name == 0 {
                if let Some(name) = &refused.written_name {
                    self.set_name(at, name);
                }
            }
            if self.at(at).refused == 0 {
                let next = self.refused.len() as u32;
                self.refused.push(Vec::new());
                self.at(at).refused = next;
            }
            let index = self.at(at).refused as usize;
            self.refused[index].push(refused.line.clone());
        }
    }

    /// Why the model cannot be used, if it cannot.
    pub(super) fn problem(&self) -> Option<String> {
        self.too_large
            .then(|| "the names of the read models outgrow 4 GiB".to_string())
    }

    /// Takes the person a stored row names out, and compares them with it.
    pub fn take(&mut self, stored: &PersonRow<'_>) -> Taken {
        let Some(scope) = self
            .scopes
            .iter_mut()
            .find(|scope| scope.program == stored.program && scope.district == stored.district)
        else {
            return Taken::Missing;
        };
        let Some(key) = self.keys.existing(&stored.national_id) else {
            return Taken::Missing;
        };
        let Some(index) = scope.index.remove(&key) else {
            return Taken::Missing;
        };
        let person = *scope.people.get(index as usize);
        if self.matches(&person, stored) {
            Taken::Matches
        } else {
            let recomputed = self.record(
                &person,
                &stored.program,
                &stored.district,
                &stored.national_id,
            );
            Taken::Differs(Box::new(recomputed))
        }
    }

    /// Whether a stored row holds this person's state (program, district
    /// and ID aside), compared field by field without building a row.
    fn matches(&self, person: &Person, stored: &PersonRow<'_>) -> bool {
        let refused = self.refused_of(person);
        let refused_match = match (&stored.refused, refused.is_empty()) {
            (None, true) => true,
            (Some(json), false) => serde_json::to_string(refused).is_ok_and(|mine| mine == *json),
            _ => false,
        };
        self.categories[person.category as usize] == stored.category
            && self.names.is(person.name, &stored.full_name)
            && folds_to(&stored.full_name, &stored.name_key)
            && person.outstanding_dong == stored.outstanding_dong
            && person.paid_dong == stored.paid_dong
            && person.approvals == stored.approvals
            && self.status(person) == stored.status
            && refused_match
    }

    fn record(
        &self,
        person: &Person,
        program: &str,
        district: &str,
        national_id: &str,
    ) -> PersonRecord {
        let state = PersonState {
            category: self.categories[person.category as usize].clone(),
            full_name: self.names.text(person.name).to_string(),
            name_key: fold_key(self.names.text(person.name)),
            outstanding_dong: person.outstanding_dong,
            paid_dong: person.paid_dong,
            approvals: person.approvals,
            refused: self.refused_of(person).to_vec(),
        };
        state.into_record(program, district, national_id)
    }

    /// The smallest (program, district, national ID) held, if any.
    pub fn first_key(&self) -> Option<(String, String, String)> {
        self.scopes
            .iter()
            .filter_map(|scope| {
                let id = scope.index.keys().map(|&key| self.keys.id(key)).min()?;
                Some((scope.program.clone(), scope.district.clone(), id))
            })
            .min()
    }

    /// Every person's row, in key order.
    pub fn records(&self) -> Vec<PersonRecord> {
        let mut scopes: Vec<&ScopePeople> = self.scopes.iter().collect();
        scopes.sort_unstable_by(|a, b| (&a.program, &a.district).cmp(&(&b.program, &b.district)));
        let mut records = Vec::with_capacity(self.scopes.iter().map(|s| s.index.len()).sum());
        for scope in scopes {
            let mut ids: Vec<(String, u32)> = scope
                .index
                .iter()
                .map(|(&key, &index)| (self.keys.id(key), index))
                .collect();
            ids.sort_unstable();
            records.extend(ids.into_iter().map(|(id, index)| {
                let person = scope.people.get(index as usize);
                self.record(person, &scope.program, &scope.district, &id)
            }));
        }
        records
    }

    /// The totals of these people per program, district and status (settled
    /// people counted nowhere), in key order.
    pub fn totals(&self) -> Vec<ScopeTotalRecord> {
        let mut totals: BTreeMap<(&str, &str, &str), ScopeTotalRecord> = BTreeMap::new();
        for scope in &self.scopes {
            for &index in scope.index.values() {
                let person = scope.people.get(index as usize);
                let status = self.status(person);
                if status == SETTLED {
                    continue;
                }
                let total = totals
                    .entry((&scope.program, &scope.district, status))
                    .or_insert_with(|| ScopeTotalRecord {
                        program: scope.program.clone(),
                        district: scope.district.clone(),
                        status: status.to_string(),
                        beneficiaries: 0,
                        approved_dong: 0,
                        paid_dong: 0,
                        outstanding_dong: 0,
                    });
                total.beneficiaries += 1;
                total.approved_dong += person.outstanding_dong + person.paid_dong;
                total.paid_dong += person.paid_dong;
                total.outstanding_dong += person.outstanding_dong;
            }
        }
        totals.into_values().collect()
    }
}
