//! Shared by the benchmark examples: the median of a sample, and the smallest business write
//! Hesabu can make (the floor every write benchmark is compared against).

use std::time::{Duration, Instant};

use hesabu_core::auth::Session;
use hesabu_core::company_file::CompanyFile;
use sea_orm::ConnectionTrait;

pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

/// Times one unit of work (write lock) that inserts one row `id` into `table` — a bench table
/// with columns `(id, at)` — and appends its hash-chained audit entry.
pub async fn timed_audited_insert(
    file: &CompanyFile,
    session: &Session,
    table: &str,
    id: String,
) -> Duration {
    let started = Instant::now();
    let mut uow = file.begin(session).await.unwrap();
    let backend = uow.db().get_database_backend();
    uow.db()
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            format!("INSERT INTO {table} (id, at) VALUES (?, ?)"),
            [id.clone().into(), uow.now_text().into()],
        ))
        .await
        .unwrap();
    uow.audit(hesabu_core::audit::AuditDraft {
        action: "bench.insert",
        entity_type: "bench",
        entity_id: id,
        before: None,
        after: None,
    })
    .await
    .unwrap();
    uow.commit().await.unwrap();
    started.elapsed()
}
