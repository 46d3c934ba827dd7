//! SQLite: users, sessions and the audit trail.

use super::SqliteStore;
use crate::domain::{NewUser, User};
use crate::store::{
    rows, sql, AuditEvent, AuditFilter, AuditRecord, Listed, Page, StoreError, StoreResult,
    UserListing, UserStore,
};
use async_trait::async_trait;
use sqlx::{Row, SqliteConnection};

#[async_trait]
impl UserStore for SqliteStore {
    async fn add_user(&self, user: NewUser, audit: AuditEvent) -> StoreResult<User> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(sql::INSERT_USER)
            .bind(&user.username)
            .bind(user.role.as_str())
            .bind(&user.district)
            .bind(&user.password_hash)
            .bind(audit.at_us)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| rows::user_conflict(e, &user.username))?;
        let created = rows::user_from_row(&row)?;
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn user_count(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(sql::USER_COUNT)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn find_user(&self, username: &str) -> StoreResult<Option<(User, String)>> {
        let row = sqlx::query(sql::FIND_USER)
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| Ok((rows::user_from_row(&row)?, row.try_get("password_hash")?)))
            .transpose()
    }

    async fn add_session(
        &self,
        token_hash: &str,
        user_id: i64,
        now_us: i64,
        expires_at_us: i64,
    ) -> StoreResult<()> {
        sqlx::query(sql::INSERT_SESSION)
            .bind(token_hash)
            .bind(user_id)
            .bind(now_us)
            .bind(expires_at_us)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn session_user(&self, token_hash: &str, now_us: i64) -> StoreResult<Option<User>> {
        let row = sqlx::query(sql::SESSION_USER)
            .bind(token_hash)
            .bind(now_us)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| rows::user_from_row(&row)).transpose()
    }

    async fn end_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query(sql::DELETE_SESSION)
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn audit(&self, event: AuditEvent) -> StoreResult<()> {
        // The write lock up front: the newest event read is still the newest
        // when this one is inserted after it.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        insert_audit(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_events(&self, limit: i64) -> StoreResult<Vec<AuditRecord>> {
        let found = sqlx::query(sql::AUDIT_EVENTS)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        found.iter().map(rows::audit_from_row).collect()
    }

    async fn audit_page(
        &self,
        filter: &AuditFilter,
        page: Page,
    ) -> StoreResult<Listed<AuditRecord>> {
        let bounds = (
            filter.from_us.unwrap_or(sql::NO_TIME_LOWER_BOUND),
            filter.until_us.unwrap_or(sql::NO_TIME_UPPER_BOUND),
        );
        let found = sqlx::query(&sql::audit_page())
            .bind(&filter.actor)
            .bind(&filter.action)
            .bind(bounds.0)
            .bind(bounds.1)
            .bind(page.limit)
            .bind(page.offset)
            .fetch_all(&self.pool)
            .await?;
        let total = sqlx::query_scalar(&sql::audit_count())
            .bind(&filter.actor)
            .bind(&filter.action)
            .bind(bounds.0)
            .bind(bounds.1)
            .fetch_one(&self.pool)
            .await?;
        Ok(Listed {
            rows: found
                .iter()
                .map(rows::audit_from_row)
                .collect::<StoreResult<_>>()?,
            total,
        })
    }

    async fn users_page(&self, page: Page) -> StoreResult<Listed<UserListing>> {
        let found = sqlx::query(sql::USERS_PAGE)
            .bind(page.limit)
            .bind(page.offset)
            .fetch_all(&self.pool)
            .await?;
        Ok(Listed {
            rows: found
                .iter()
                .map(rows::user_listing_from_row)
                .collect::<StoreResult<_>>()?,
            total: self.user_count().await?,
        })
    }

    async fn replace_password_hash(
        &self,
        username: &str,
        password_hash: &str,
        audit: AuditEvent,
    ) -> StoreResult<Option<User>> {
        let mut tx = self.pool.begin().await?;
        let Some(row) = sqlx::query(sql::REPLACE_PASSWORD_HASH)
            .bind(password_hash)
            .bind(username)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(None);
        };
        let user = rows::user_from_row(&row)?;
        sqlx::query(sql::END_SESSIONS_OF_USER)
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(Some(user))
    }
}

/// One audit event, chained after the newest, in the transaction given,
/// which holds the write lock by the time the newest is read (it began
/// `IMMEDIATE`, or has written already): no other event can come between.
pub(super) async fn insert_audit(
    conn: &mut SqliteConnection,
    event: &AuditEvent,
) -> StoreResult<()> {
    let newest: Option<(i64, Option<String>)> = sqlx::query_as(sql::AUDIT_HEAD)
        .fetch_optional(&mut *conn)
        .await?;
    let mut newest_hash = newest.as_ref().and_then(|(_, hash)| hash.clone());
    if newest.is_some() && newest_hash.is_none() {
        // The first chained event of a trail recorded before the chain: seal
        // what came before, then link after the seal.
        let found = sqlx::query(sql::UNCHAINED_AUDIT)
            .fetch_all(&mut *conn)
            .await?;
        let earlier = found
            .iter()
            .map(rows::audit_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        let seal = crate::store::records::pre_chain_seal(&earlier, event.at_us);
        newest_hash = Some(insert_linked(conn, &seal, None).await?);
    }
    insert_linked(conn, event, newest_hash.as_deref()).await?;
    Ok(())
}

/// Inserts `event` linked after `newest_hash`; returns its hash.
async fn insert_linked(
    conn: &mut SqliteConnection,
    event: &AuditEvent,
    newest_hash: Option<&str>,
) -> StoreResult<String> {
    let (prev_hash, hash) = event.link_after(newest_hash).map_err(StoreError::Corrupt)?;
    sqlx::query(sql::INSERT_AUDIT)
        .bind(event.at_us)
        .bind(&event.actor)
        .bind(&event.action)
        .bind(&event.outcome)
        .bind(&event.detail)
        .bind(prev_hash)
        .bind(&hash)
        .execute(conn)
        .await?;
    Ok(hash)
}
