//! SeaORM entities of the kernel's tables: users (sign-in), the audit log, the outbox and
//! notifications. The domain crate (`hesabu-core`) reads them too; nothing converts them to wire
//! types but the services beside them.
//!
//! Ids and timestamps are TEXT (UUID v7, RFC 3339 UTC via `clock::format_timestamp`) so the
//! schema stays portable to PostgreSQL and the audit hash covers exactly the stored text.

pub mod app_user {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "app_user")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub email: String,
        pub name: String,
        pub role: String,
        pub manager_id: Option<String>,
        pub department_id: Option<String>,
        pub active: bool,
        pub password_hash: String,
        pub created_at: String,
        pub updated_at: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod audit_log {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i64,
        pub id: String,
        pub at: String,
        pub actor_id: Option<String>,
        pub actor_email: String,
        pub action: String,
        pub entity_type: String,
        pub entity_id: String,
        pub before_json: Option<String>,
        pub after_json: Option<String>,
        pub prev_hash: String,
        pub hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

// Budget control (see crate::budgets). Amounts are String columns holding the canonical
// rust_decimal text: a Decimal-typed column would come back from SQLite through f64.

use sea_orm::{DeriveActiveEnum, EnumIter};

/// The state of an outbox row. Stored as TEXT (`ready`, `in_flight`, `done`, `dead`); only `outbox/`
/// moves it (see the module doc's diagram).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, serde::Serialize)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    #[sea_orm(string_value = "ready")]
    Ready,
    #[sea_orm(string_value = "in_flight")]
    InFlight,
    #[sea_orm(string_value = "done")]
    Done,
    #[sea_orm(string_value = "dead")]
    Dead,
}

impl OutboxState {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Ready => "ready",
            OutboxState::InFlight => "in_flight",
            OutboxState::Done => "done",
            OutboxState::Dead => "dead",
        }
    }
}

impl std::fmt::Display for OutboxState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

pub mod outbox {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub seq: i64,
        pub target: String,
        pub operation: String,
        pub payload: String,
        pub idempotency_key: String,
        pub ordering_key: Option<String>,
        pub state: super::OutboxState,
        pub attempts: i64,
        pub next_attempt_at: String,
        pub check_first: bool,
        pub last_error_kind: Option<String>,
        pub last_error_message: Option<String>,
        pub remote_ref: Option<String>,
        pub result: Option<String>,
        pub created_at: String,
        pub updated_at: String,
        pub done_at: Option<String>,
        /// `false`: the first failure dead-letters the row (no automatic retry). Set at enqueue.
        pub auto_retry: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

// Personal notifications (migration 20261122000100_approvals.sql), one user each.
pub mod notification {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notification")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub user_id: String,
        pub kind: String,
        pub document_id: Option<String>,
        pub message: String,
        pub created_at: String,
        pub read_at: Option<String>,
        pub delivered_at: Option<String>,
        pub attempts: i64,
        pub last_error: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod system_notification {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "system_notification")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub created_at: String,
        pub kind: String,
        pub severity: String,
        pub title: String,
        pub body: String,
        pub entity_type: Option<String>,
        pub entity_id: Option<String>,
        pub read_at: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

#[cfg(test)]
mod tests {
    use sea_orm::{ActiveEnum, Iterable};

    use super::*;

    /// `string_value` (what the column holds) and `as_str` (what messages print) must agree.
    #[test]
    fn every_outbox_state_is_stored_as_the_word_it_prints() {
        for state in OutboxState::iter() {
            assert_eq!(state.to_value(), state.as_str());
        }
    }
}
