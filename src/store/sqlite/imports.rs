//! SQLite: program definitions and uploaded imports.

use super::append::SqliteTx;
use super::SqliteStore;
use crate::store::{
    rows, sql, AppendTx, ImportFilter, ImportRecord, ImportStore, Listed, NewImport, Page,
    StoreResult,
};
use async_trait::async_trait;

#[async_trait]
impl ImportStore for SqliteStore {
    async fn program_definitions(&self) -> StoreResult<Vec<(String, String)>> {
        let found = sqlx::query(sql::PROGRAM_DEFINITIONS)
            .fetch_all(&self.pool)
            .await?;
        found.iter().map(rows::program_from_row).collect()
    }

    async fn save_import(&self, import: NewImport) -> StoreResult<i64> {
        let mut tx = SqliteTx::begin(&self.appender, &self.checkpoints).await?;
        let id = tx.insert_import(&import)?;
        Box::new(tx).commit().await?;
        Ok(id)
    }

    async fn import_record(&self, id: i64) -> StoreResult<Option<ImportRecord>> {
        let row = sqlx::query(&sql::import_by_id())
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| rows::import_from_row(&row)).transpose()
    }

    async fn import_content(&self, id: i64) -> StoreResult<Option<Vec<u8>>> {
        let stored = sqlx::query_as(sql::IMPORT_CONTENT)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        stored
            .map(|stored| rows::import_file(id, stored))
            .transpose()
    }

    async fn committed_import_with_digest(
        &self,
        kind: &str,
        program: &str,
        district: &str,
        sha256: &str,
    ) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar(sql::COMMITTED_IMPORT_WITH_DIGEST)
            .bind(kind)
            .bind(program)
            .bind(district)
            .bind(sha256)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn uncommitted_uploads_since(&self, district: &str, since_us: i64) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(sql::UNCOMMITTED_UPLOADS_SINCE)
            .bind(district)
            .bind(since_us)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn committed_imports(&self, kind: &str, program: &str) -> StoreResult<Vec<ImportRecord>> {
        let found = sqlx::query(&sql::committed_imports_of_program())
            .bind(kind)
            .bind(program)
            .fetch_all(&self.pool)
            .await?;
        found.iter().map(rows::import_from_row).collect()
    }

    async fn imports_page(
        &self,
        filter: &ImportFilter,
        page: Page,
    ) -> StoreResult<Listed<ImportRecord>> {
        let bounds = (
            filter.from_us.unwrap_or(sql::NO_TIME_LOWER_BOUND),
            filter.until_us.unwrap_or(sql::NO_TIME_UPPER_BOUND),
        );
        let found = sqlx::query(&sql::imports_page())
            .bind(&filter.program)
            .bind(&filter.district)
            .bind(&filter.kind)
            .bind(filter.committed)
            .bind(bounds.0)
            .bind(bounds.1)
            .bind(page.limit)
            .bind(page.offset)
            .fetch_all(&self.pool)
            .await?;
        let total = sqlx::query_scalar(&sql::imports_count())
            .bind(&filter.program)
            .bind(&filter.district)
            .bind(&filter.kind)
            .bind(filter.committed)
            .bind(bounds.0)
            .bind(bounds.1)
            .fetch_one(&self.pool)
            .await?;
        Ok(Listed {
            rows: found
                .iter()
                .map(rows::import_from_row)
                .collect::<StoreResult<_>>()?,
            total,
        })
    }
}
