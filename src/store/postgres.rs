//! PostgreSQL: the path for when one machine is not enough. Appends are
//! serialized by a transaction-scoped advisory lock; bulk rows go in through
//! `UNNEST` of arrays, one statement per chunk, never row by row.

use super::commit::{EntryRow, PostingRow, TotalRow};
use super::common::{impl_ledger_tx, impl_store, HasDatabase};
use super::common::{person_postings_sql, PersonPosting, VOUCHERS_SQL};
use super::{StoreError, StoreResult};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};
use std::str::FromStr;

/// Key of the advisory lock that serializes appends to the journal.
const APPEND_LOCK_KEY: i64 = 0x616e_7369_6e68; // "ansinh"
const ROWS_PER_INSERT: usize = 50_000;
/// `COPY` data is sent in messages of about this size: the server stores one
/// while the next is encoded.
const COPY_CHUNK_BYTES: usize = 1 << 20;

pub struct PgStore {
    pool: PgPool,
}

impl HasDatabase for PgStore {
    type Db = Postgres;
}

impl PgStore {
    pub async fn open(url: &str) -> StoreResult<PgStore> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(PgStore { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_append(&self) -> StoreResult<PgTx> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(APPEND_LOCK_KEY)
            .execute(&mut *tx)
            .await?;
        Ok(PgTx { tx })
    }
}

fn text_array(values: &[String]) -> Vec<String> {
    values.to_vec()
}

fn any_of(index: usize) -> String {
    format!("= ANY(${index})")
}

/// Membership in the entry list parameter `$index`, hidden from the
/// planner. Seeing the list, it expects several times the postings the
/// entries hold (roll entries hold thousands, payment entries a few) and
/// scans the whole table in parallel; not seeing it, it reads the entries'
/// postings through the primary key (a district's: 31 instead of 53 ms).
fn entries_in(index: usize) -> String {
    format!("= ANY(ARRAY(SELECT unnest(${index}::bigint[])))")
}

/// Many rows as one JSON array text: one message instead of one per row.
fn json_rows(columns: &str, inner: &str) -> String {
    format!("SELECT json_agg(json_build_array({columns}))::text FROM ({inner}) AS rows")
}

/// Every posting of a person in `entry_seqs` on the accounts under the
/// prefix, as one row of arrays: one message instead of one per row, and no
/// text format in between.
async fn person_postings(
    pool: &PgPool,
    entry_seqs: &[i64],
    account_prefix: &str,
) -> StoreResult<PostingColumns> {
    if entry_seqs.is_empty() {
        return Ok(Default::default());
    }
    let sql = format!(
        "SELECT array_agg(beneficiary), array_agg(account), array_agg(amount), \
         array_agg(voucher::bigint), array_agg(entry_seq) FROM ({}) AS rows",
        person_postings_sql(&entries_in(3))
    );
    Ok(sqlx::query_as(&sql)
        .bind(account_prefix.len() as i32)
        .bind(account_prefix)
        .bind(entry_seqs)
        .fetch_one(pool)
        .await?)
}

type PostingColumns = (
    Option<Vec<String>>,
    Option<Vec<String>>,
    Option<Vec<i64>>,
    Option<Vec<i64>>,
    Option<Vec<i64>>,
);

/// The rows of [`person_postings`], borrowing their texts.
fn posting_rows(columns: &PostingColumns) -> StoreResult<Vec<PersonPosting<'_>>> {
    let (people, accounts, amounts, vouchers, seqs) = columns;
    Ok(people
        .iter()
        .flatten()
        .zip(accounts.iter().flatten())
        .zip(amounts.iter().flatten())
        .zip(vouchers.iter().flatten())
        .zip(seqs.iter().flatten())
        .map(|((((person, account), amount), voucher), seq)| {
            (person.as_str(), account.as_str(), *amount, *voucher, *seq)
        })
        .collect())
}

/// The voucher references of [`VOUCHERS_SQL`], as one array.
async fn vouchers_of(conn: &mut sqlx::PgConnection, pattern: &str) -> StoreResult<Vec<String>> {
    let sql = format!("SELECT array_agg(reference) FROM ({VOUCHERS_SQL}) AS rows");
    let references: Option<Vec<String>> = sqlx::query_scalar(&sql)
        .bind(pattern)
        .fetch_one(conn)
        .await?;
    Ok(references.unwrap_or_default())
}

/// Every posting, in entry and position order, to the verifier: one
/// streamed query (rows arrive in batches over the wire), which also brings
/// the postings of any entry missing from the journal.
async fn scan_postings(
    conn: &mut sqlx::PgConnection,
    _seqs: &[i64],
    sink: &mut dyn super::JournalSink,
) -> StoreResult<()> {
    use futures_util::TryStreamExt;
    let sql = format!(
        "SELECT {} FROM postings ORDER BY entry_seq, idx",
        super::common::POSTING_COLUMNS
    );
    let mut rows = sqlx::query(&sql).fetch(conn);
    while let Some(row) = rows.try_next().await? {
        sink.posting(super::common::posting_from_row(&row)?);
    }
    Ok(())
}

impl_store!(
    PgStore,
    "postgres",
    text_array,
    any_of,
    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    json_rows,
    {}
);

/// Rows for `COPY … FROM STDIN (FORMAT binary)`: each value as its length
/// and its bytes in PostgreSQL's binary form, so that the server parses no
/// text and no value needs escaping.
struct CopyRows {
    buffer: Vec<u8>,
}

impl CopyRows {
    /// The binary format's signature, flags and header extension length.
    const HEADER: &'static [u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
    /// A field count of -1 ends the data.
    const TRAILER: [u8; 2] = (-1i16).to_be_bytes();

    fn row(&mut self, fields: i16) {
        self.buffer.extend_from_slice(&fields.to_be_bytes());
    }

    fn null(&mut self) {
        self.buffer.extend_from_slice(&(-1i32).to_be_bytes());
    }

    /// An `integer` column.
    fn int4(&mut self, value: i32) {
        self.buffer.extend_from_slice(&4i32.to_be_bytes());
        self.buffer.extend_from_slice(&value.to_be_bytes());
    }

    /// A `bigint` column.
    fn int8(&mut self, value: Option<i64>) {
        match value {
            Some(value) => {
                self.buffer.extend_from_slice(&8i32.to_be_bytes());
                self.buffer.extend_from_slice(&value.to_be_bytes());
            }
            None => self.null(),
        }
    }

    /// A `text` column: UTF-8 bytes as they are.
    fn text(&mut self, value: Option<&str>) -> StoreResult<()> {
        let Some(value) = value else {
            self.null();
            return Ok(());
        };
        let length = i32::try_from(value.len())
            .map_err(|_| StoreError::Corrupt("a text value over 2 GiB".into()))?;
        self.buffer.extend_from_slice(&length.to_be_bytes());
        self.buffer.extend_from_slice(value.as_bytes());
        Ok(())
    }
}

/// Streams `rows` into `statement` (a binary `COPY … FROM STDIN`), a chunk
/// at a time; `encode` writes one row.
async fn copy_rows<T>(
    tx: &mut Transaction<'static, Postgres>,
    statement: &str,
    rows: &[T],
    encode: impl Fn(&mut CopyRows, &T) -> StoreResult<()>,
) -> StoreResult<()> {
    let mut copy = tx.copy_in_raw(statement).await?;
    let mut data = CopyRows {
        buffer: Vec::with_capacity(COPY_CHUNK_BYTES + 4096),
    };
    data.buffer.extend_from_slice(CopyRows::HEADER);
    for row in rows {
        encode(&mut data, row)?;
        if data.buffer.len() >= COPY_CHUNK_BYTES {
            copy.send(data.buffer.as_slice()).await?;
            data.buffer.clear();
        }
    }
    data.buffer.extend_from_slice(&CopyRows::TRAILER);
    copy.send(data.buffer.as_slice()).await?;
    copy.finish().await?;
    Ok(())
}

pub struct PgTx {
    tx: Transaction<'static, Postgres>,
}

impl_ledger_tx!(PgTx, text_array, any_of, {
    async fn insert_entries(&mut self, rows: &[EntryRow<'_>]) -> StoreResult<()> {
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            sqlx::query(
                "INSERT INTO journal_entries (seq, effective_date, recorded_at_us, actor, kind, reference, memo, corrects_seq, import_id, prev_hash, hash, encoding) \
                 SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[], $10::text[], $11::text[], $12::bigint[])",
            )
            .bind(chunk.iter().map(|r| r.seq).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.effective_date.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.recorded_at_us).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.actor).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.entry.kind.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.entry.reference.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.entry.memo.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.entry.corrects_seq).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.import_id).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.prev_hash.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.hash.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.encoding).collect::<Vec<_>>())
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    async fn insert_postings(&mut self, rows: &[PostingRow<'_>]) -> StoreResult<()> {
        copy_rows(
            &mut self.tx,
            "COPY postings (entry_seq, idx, account, amount, beneficiary, source_line, reference) FROM STDIN (FORMAT binary)",
            rows,
            |data, row| {
                let idx = i32::try_from(row.idx)
                    .map_err(|_| StoreError::Corrupt(format!("posting index {}", row.idx)))?;
                data.row(7);
                data.int8(Some(row.seq));
                data.int4(idx);
                data.text(Some(row.posting.account.as_str()))?;
                data.int8(Some(row.posting.amount.dong()));
                data.text(row.posting.beneficiary.as_deref())?;
                data.int8(row.posting.source_line.map(|l| l as i64));
                data.text(row.posting.reference.as_deref())
            },
        )
        .await
    }

    async fn insert_totals(&mut self, rows: &[TotalRow]) -> StoreResult<()> {
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            sqlx::query(
                "INSERT INTO account_totals (entry_seq, account, amount, approvals_delta) \
                 SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::bigint[])",
            )
            .bind(chunk.iter().map(|r| r.seq).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.account.as_str()).collect::<Vec<_>>())
            .bind(
                chunk
                    .iter()
                    .map(|r| r.total.amount_dong)
                    .collect::<Vec<_>>(),
            )
            .bind(
                chunk
                    .iter()
                    .map(|r| r.total.approvals_delta)
                    .collect::<Vec<_>>(),
            )
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }
});
