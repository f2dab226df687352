//! SeaORM entities of the workflow tables (see the migration `20261123000300_workflows_rules`).
//! Private to the core.

pub mod workflow_config {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "workflow_config")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub workflow_type: String,
        pub enabled: bool,
        pub auto_sync: bool,
        pub config_json: String,
        pub version: i64,
        pub updated_at: String,
        pub updated_by: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod workflow_config_history {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "workflow_config_history")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub workflow_type: String,
        pub version: i64,
        pub enabled: bool,
        pub auto_sync: bool,
        pub config_json: String,
        pub changed_at: String,
        pub changed_by: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub event_type: String,
        pub entity_type: String,
        pub entity_id: String,
        pub entity_version: i64,
        pub source: String,
        pub payload: String,
        pub actor_id: Option<String>,
        pub occurred_at: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod workflow_execution {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "workflow_execution")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub workflow_type: String,
        pub entity_type: String,
        pub entity_id: String,
        pub entity_version: i64,
        pub trigger: String,
        pub event_id: Option<String>,
        pub outbox_id: Option<String>,
        pub status: crate::workflows::wire::ExecutionStatus,
        pub started_at: Option<String>,
        pub completed_at: Option<String>,
        pub duration_ms: Option<i64>,
        pub attempts: i64,
        pub error_kind: Option<String>,
        pub error_message: Option<String>,
        pub result_ref: Option<String>,
        pub created_at: String,
        pub updated_at: String,
        pub created_by: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod workflow_execution_attempt {
    use sea_orm::entity::prelude::*;

    /// One try of an execution's send (see migrations/20261202000300_workflow_attempts.sql).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "workflow_execution_attempt")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub execution_id: String,
        pub number: i64,
        pub started_by: String,
        pub outcome: String,
        pub started_at: String,
        pub finished_at: Option<String>,
        pub duration_ms: Option<i64>,
        pub error_kind: Option<String>,
        pub error_message: Option<String>,
        pub result_ref: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
