//! The figures of a ledger's read model rows (`person_balances`), kept by
//! this process between its commits. A commit lays its changes over the
//! rows of the people it touches; without these it reads them back first
//! (a province's payment rolls: 300,000 rows, a sixth of the import).
//!
//! - **Whole scopes or none.** A scope (program × district) is cached with
//!   every row it holds, so a person missing from it has no row: an approval
//!   roll's new people need no lookup either.
//! - **Valid at one journal head.** The figures are handed back with the
//!   head their commit left; a commit that finds another head (another
//!   process or store appended meanwhile) starts from nothing.
//! - **Owned by one commit at a time.** A commit takes them out under the
//!   append lock and hands them back only once it has committed: a failed
//!   commit drops them, and the next one reads the rows again.
//! - **Bounded.** At most [`CACHED_PEOPLE_MAX`] people in the whole process
//!   (a national run opens a store per province): the scopes touched longest
//!   ago go first, and beyond it a scope is not cached and its rows are read
//!   as before.

use crate::domain::journal::Checkpoint;
use crate::domain::national_id::digits_key;
use crate::fast_hash::FastMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// People cached in the whole process: about 12 MiB at this bound (a
/// figure, a key and the map's room for each, about 60 bytes).
pub const CACHED_PEOPLE_MAX: usize = 200_000;

/// Every cached person of every store in this process.
static CACHED_PEOPLE: AtomicUsize = AtomicUsize::new(0);

/// A store's cached figures, between its commits.
#[derive(Default)]
pub struct PersonCache {
    held: Mutex<Option<CachedPeople>>,
}

impl PersonCache {
    /// The cached figures if they hold the ledger at `head` (read under the
    /// append lock); otherwise none. Either way the commit now owns them.
    pub fn take(&self, head: Option<&Checkpoint>) -> CachedPeople {
        let held = self.lock().take();
        match held {
            Some(people) if people.at.as_ref() == head => people,
            _ => CachedPeople::default(),
        }
    }

    /// Keeps `people` as the ledger's figures at `head`, the head of the
    /// commit that has just landed them.
    pub fn hand_back(&self, mut people: CachedPeople, head: Option<Checkpoint>) {
        people.at = head;
        while CACHED_PEOPLE.load(Ordering::Relaxed) > CACHED_PEOPLE_MAX && !people.scopes.is_empty()
        {
            people.scopes.remove(0);
        }
        *self.lock() = Some(people);
    }

    /// How many people's figures are kept (none while a commit holds them).
    pub fn people(&self) -> usize {
        self.lock()
            .as_ref()
            .map_or(0, |held| held.scopes.iter().map(|s| s.people.len()).sum())
    }

    /// Forgets every figure (the read models were rebuilt).
    pub fn clear(&self) {
        self.lock().take();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<CachedPeople>> {
        // A panic while holding the lock can only have left figures that
        // are taken and checked against the head again: the data is fine.
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The cached scopes, owned by one commit at a time.
#[derive(Default)]
pub struct CachedPeople {
    /// The journal head these figures hold (`None`: an empty journal).
    at: Option<Checkpoint>,
    scopes: Vec<CachedScope>,
}

impl CachedPeople {
    /// The scope, which then goes last to be forgotten.
    pub fn scope_mut(&mut self, program: &str, district: &str) -> Option<&mut CachedScope> {
        let index = self.scopes.iter().position(|s| s.is(program, district))?;
        let scope = self.scopes.remove(index);
        self.scopes.push(scope);
        self.scopes.last_mut()
    }

    /// Whether another scope may be cached within [`CACHED_PEOPLE_MAX`].
    pub fn has_room() -> bool {
        CACHED_PEOPLE.load(Ordering::Relaxed) < CACHED_PEOPLE_MAX
    }

    /// Caches a scope read whole under the append lock.
    pub fn insert(&mut self, scope: CachedScope) {
        self.scopes
            .retain(|s| !s.is(&scope.program, &scope.district));
        self.scopes.push(scope);
    }

    /// Stops caching a scope (a person it cannot key).
    pub fn remove(&mut self, program: &str, district: &str) {
        self.scopes.retain(|s| !s.is(program, district));
    }
}

/// What a commit needs of a stored person's row to change their figures
/// alone: the figures, the category, and whether refused lines (which the
/// status depends on) are kept beside them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredFigures {
    pub outstanding_dong: i64,
    pub paid_dong: i64,
    pub approvals: i64,
    pub has_refused: bool,
    category: u32,
}

/// A person's row, as far as a cached scope knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CachedRow {
    /// The scope holds no row for this person.
    Absent,
    Stored(StoredFigures),
    /// An ID the cache cannot key (not all digits): read the row.
    Unknown,
}

/// Every row of one program and district, by the national ID's number.
pub struct CachedScope {
    program: String,
    district: String,
    /// A scope's few categories, which the figures name by index.
    categories: Vec<String>,
    people: FastMap<u64, StoredFigures>,
}

impl CachedScope {
    pub fn new(program: &str, district: &str) -> CachedScope {
        CachedScope {
            program: program.to_string(),
            district: district.to_string(),
            categories: Vec::new(),
            people: FastMap::default(),
        }
    }

    /// (program, district).
    pub fn key(&self) -> (&str, &str) {
        (&self.program, &self.district)
    }

    fn is(&self, program: &str, district: &str) -> bool {
        self.program == program && self.district == district
    }

    pub fn row(&self, national_id: &str) -> CachedRow {
        match digits_key(national_id) {
            None => CachedRow::Unknown,
            Some(key) => self
                .people
                .get(&key)
                .map_or(CachedRow::Absent, |f| CachedRow::Stored(*f)),
        }
    }

    pub fn category(&self, figures: &StoredFigures) -> &str {
        self.categories
            .get(figures.category as usize)
            .map_or("", String::as_str)
    }

    /// Sets a person's figures as written; `false` (nothing kept) for an ID
    /// the cache cannot key, whose scope must then not be cached.
    #[must_use]
    pub fn set(&mut self, row: &FiguresRow<'_>) -> bool {
        let Some(key) = digits_key(row.national_id) else {
            return false;
        };
        let category = match self.categories.iter().position(|c| c == row.category) {
            Some(index) => index,
            None => {
                self.categories.push(row.category.to_string());
                self.categories.len() - 1
            }
        };
        let figures = StoredFigures {
            outstanding_dong: row.outstanding_dong,
            paid_dong: row.paid_dong,
            approvals: row.approvals,
            has_refused: row.has_refused,
            category: category as u32,
        };
        if self.people.insert(key, figures).is_none() {
            CACHED_PEOPLE.fetch_add(1, Ordering::Relaxed);
        }
        true
    }
}

impl Drop for CachedScope {
    fn drop(&mut self) {
        CACHED_PEOPLE.fetch_sub(self.people.len(), Ordering::Relaxed);
    }
}

/// One person's row as the cache keeps it.
pub struct FiguresRow<'a> {
    pub national_id: &'a str,
    pub category: &'a str,
    pub outstanding_dong: i64,
    pub paid_dong: i64,
    pub approvals: i64,
    pub has_refused: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, paid_dong: i64) -> FiguresRow<'_> {
        FiguresRow {
            national_id: id,
            category: "hgd",
            outstanding_dong: 1_000 - paid_dong,
            paid_dong,
            approvals: 1,
            has_refused: false,
        }
    }

    fn head(seq: i64) -> Option<Checkpoint> {
        Some(Checkpoint {
            seq,
            hash: format!("{seq:064}"),
        })
    }

    #[test]
    fn a_scope_knows_who_has_no_row_and_keeps_what_was_written() {
        let mut scope = CachedScope::new("NQ68", "842");
        assert!(scope.set(&row("084100000001", 0)));
        assert!(scope.set(&row("084100000001", 400)));
        assert_eq!(scope.row("084100000002"), CachedRow::Absent);
        assert_eq!(
            scope.row("84100000001"),
            CachedRow::Absent,
            "not the same ID"
        );
        assert_eq!(scope.row("08410000000A"), CachedRow::Unknown);
        assert!(!scope.set(&row("08410000000A", 0)));
        let CachedRow::Stored(figures) = scope.row("084100000001") else {
            panic!("stored");
        };
        assert_eq!((figures.paid_dong, figures.outstanding_dong), (400, 600));
        assert_eq!(scope.category(&figures), "hgd");
    }

    #[test]
    fn figures_come_back_only_at_the_head_they_were_handed_back_at() {
        let cache = PersonCache::default();
        let mut people = cache.take(None);
        people.insert(CachedScope::new("NQ68", "842"));
        cache.hand_back(people, head(3));
        assert!(cache
            .take(head(2).as_ref())
            .scope_mut("NQ68", "842")
            .is_none());
        // The take above emptied the cache: a commit owns what it takes.
        assert!(cache
            .take(head(3).as_ref())
            .scope_mut("NQ68", "842")
            .is_none());

        let mut people = cache.take(head(3).as_ref());
        people.insert(CachedScope::new("NQ68", "842"));
        cache.hand_back(people, head(4));
        let mut at_head = cache.take(head(4).as_ref());
        assert!(at_head.scope_mut("NQ68", "842").is_some());
        at_head.remove("NQ68", "842");
        assert!(at_head.scope_mut("NQ68", "842").is_none());
    }

    #[test]
    fn the_scopes_touched_longest_ago_go_first() {
        let cache = PersonCache::default();
        let mut people = cache.take(None);
        let scope = |district: &str, people_count: usize| {
            let mut scope = CachedScope::new("NQ68", district);
            for n in 0..people_count {
                assert!(scope.set(&row(&format!("0841{n:08}"), 0)));
            }
            scope
        };
        // Each scope is 60 % of the process's bound: two cannot stay.
        let size = CACHED_PEOPLE_MAX * 3 / 5;
        people.insert(scope("842", size));
        people.insert(scope("844", size));
        assert!(people.scope_mut("NQ68", "842").is_some(), "touched last");
        cache.hand_back(people, head(1));
        let mut people = cache.take(head(1).as_ref());
        assert!(people.scope_mut("NQ68", "844").is_none(), "forgotten");
        assert!(people.scope_mut("NQ68", "842").is_some());
    }
}
