//! SeaORM entities: the stored shape of each table. Private to the core; services convert them
//! to wire types (`crate::wire`) before anything leaves the crate.
//!
//! Ids and timestamps are TEXT (UUID v7, RFC 3339 UTC via `clock::format_timestamp`) so the
//! schema stays portable to PostgreSQL and the audit hash covers exactly the stored text.

pub mod company {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "company")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub legal_name: String,
        pub trading_name: Option<String>,
        pub kra_pin: String,
        pub branch_id: String,
        pub address: Option<String>,
        pub base_currency: String,
        pub fiscal_year_start_month: i64,
        pub time_zone: String,
        pub created_at: String,
        pub updated_at: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod department {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "department")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub name: String,
        pub name_key: String,
        pub active: bool,
        pub created_at: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

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

pub mod budget {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "budget")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub department_id: String,
        pub category: String,
        pub project: String,
        pub period: String,
        pub period_start: String,
        pub period_end: String,
        pub amount: String,
        pub currency: String,
        pub enforcement: String,
        pub auto_approve_threshold: Option<String>,
        pub parent_id: Option<String>,
        pub status: String,
        pub created_at: String,
        pub updated_at: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod budget_balance {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "budget_balance")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub budget_id: String,
        pub budgeted: String,
        pub available: String,
        pub reserved: String,
        pub committed: String,
        pub spent: String,
        pub entries: i64,
        pub updated_at: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod budget_reservation {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "budget_reservation")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub budget_id: String,
        pub request_id: String,
        pub reserved_by_id: Option<String>,
        pub reserved_by_email: String,
        pub held: String,
        pub committed: String,
        pub spent: String,
        pub released: String,
        pub status: String,
        pub created_at: String,
        pub updated_at: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod budget_ledger {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "budget_ledger")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub budget_id: String,
        pub seq: i64,
        pub kind: String,
        pub request_id: Option<String>,
        pub reservation_id: Option<String>,
        pub action: Option<String>,
        pub amount: String,
        pub is_override: bool,
        pub reason: Option<String>,
        pub available_after: String,
        pub actor_id: Option<String>,
        pub actor_email: String,
        pub at: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod budget_check_log {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "budget_check_log")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub checked_at: String,
        pub request_id: Option<String>,
        pub user_id: Option<String>,
        pub user_email: String,
        pub department: String,
        pub period: String,
        pub amount: String,
        pub vendor: Option<String>,
        pub purpose: Option<String>,
        pub budget_id: Option<String>,
        pub available: bool,
        pub can_auto_approve: bool,
        pub reason: String,
        pub response_json: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod budget_sync_run {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "budget_sync_run")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub run_no: i64,
        pub started_at: String,
        pub finished_at: String,
        pub duration_ms: i64,
        pub source: String,
        pub format: String,
        pub status: String,
        pub rows_read: i64,
        pub created: i64,
        pub updated: i64,
        pub unchanged: i64,
        pub soft_deleted: i64,
        pub skipped: i64,
        pub errors_json: String,
        pub actor_email: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
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
        pub state: String,
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
