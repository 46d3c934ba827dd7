//! Each backend's migrations, embedded by `migrations/build.rs` and read the way
//! `sqlx::migrate!` reads them (`<VERSION>_<DESCRIPTION>.sql`, the SHA-384
//! checksum of the text, `-- no-transaction` opts out of a transaction), so
//! databases migrated by earlier builds are recognised.

use sqlx::migrate::{Migration, MigrationType, Migrator};
use std::borrow::Cow;

/// (file name, SQL) of each SQLite migration, in file name order.
const SQLITE: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/migrations_sqlite.rs"));
/// (file name, SQL) of each PostgreSQL migration, in file name order.
const POSTGRES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/migrations_postgres.rs"));

pub fn sqlite() -> Migrator {
    migrator(SQLITE)
}

pub fn postgres() -> Migrator {
    migrator(POSTGRES)
}

fn migrator(files: &'static [(&'static str, &'static str)]) -> Migrator {
    let mut migrations: Vec<Migration> = files
        .iter()
        .filter_map(|(name, sql)| migration(name, sql))
        .collect();
    migrations.sort_by_key(|migration| migration.version);
    Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    }
}

/// None for a file not named `<VERSION>_<DESCRIPTION>.sql` (sqlx skips it too).
fn migration(name: &'static str, sql: &'static str) -> Option<Migration> {
    let (version, rest) = name.split_once('_')?;
    let version: i64 = version.parse().ok()?;
    let migration_type = MigrationType::from_filename(rest);
    let description = rest
        .trim_end_matches(migration_type.suffix())
        .replace('_', " ");
    Some(Migration::new(
        version,
        Cow::Owned(description),
        migration_type,
        Cow::Borrowed(sql),
        sql.starts_with("-- no-transaction"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_is_a_migration_in_version_order() {
        for files in [SQLITE, POSTGRES] {
            let migrator = migrator(files);
            assert_eq!(migrator.migrations.len(), files.len());
            let versions: Vec<i64> = migrator.iter().map(|m| m.version).collect();
            assert_eq!(versions, (1..=files.len() as i64).collect::<Vec<_>>());
            assert_eq!(
                migrator.iter().next().map(|m| &*m.description),
                Some("ledger")
            );
        }
    }
}
