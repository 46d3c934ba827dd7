//! Reading beside checking: the database makes the next answer while this
//! thread works on the last one.

use super::StoreResult;

/// Runs `produce`, which sends what the database answers, beside
/// `consume`, which takes it in order. A connection serves one query at a
/// time, but a query once sent runs (on SQLite's thread, in PostgreSQL's
/// server) while this thread works on the answer before it; `receiver`'s
/// capacity bounds how far ahead it reads.
pub async fn overlapped<T>(
    produce: impl std::future::Future<Output = StoreResult<()>>,
    mut receiver: tokio::sync::mpsc::Receiver<T>,
    mut consume: impl FnMut(T) -> StoreResult<()>,
) -> StoreResult<()> {
    let consuming = async move {
        while let Some(answer) = receiver.recv().await {
            consume(answer)?;
        }
        Ok(())
    };
    // A failed consumer drops the receiver, which stops the producer.
    let (produced, consumed) = tokio::join!(produce, consuming);
    consumed.and(produced)
}

/// Imports' stored files read ahead of the one being checked: each can be
/// as large as an upload.
pub const EVIDENCE_IN_FLIGHT: usize = 1;
