//! SeaORM entities for the approval tables (see `migrations/20261122000100_approvals.sql`, and
//! `20261122000400_budget_wiring.sql` for the document's budget status and note).
//! Private to the core like [`crate::entities`]; money columns are `String` holding the
//! canonical decimal text, parsed with `Decimal::from_str_exact`.

macro_rules! entity {
    ($module:ident, $table:literal, { $($field:ident : $ty:ty),* $(,)? }, $pk:ident : $pkty:ty) => {
        pub mod $module {
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
            #[sea_orm(table_name = $table)]
            pub struct Model {
                #[sea_orm(primary_key, auto_increment = false)]
                pub $pk: $pkty,
                $(pub $field: $ty,)*
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}

            impl ActiveModelBehavior for ActiveModel {}
        }
    };
}

entity!(department_head, "department_head", {
    user_id: String,
    assigned_at: String,
}, department_id: String);

entity!(approval_policy, "approval_policy", {
    name: String,
    version: i64,
    document_types: String,
    spec_json: String,
    imported_at: String,
    imported_by: Option<String>,
}, id: String);

entity!(approval_document, "approval_document", {
    doc_type: String,
    number: String,
    title: String,
    requester_id: String,
    department_id: Option<String>,
    amount: String,
    currency: String,
    category: Option<String>,
    project: Option<String>,
    facts_json: String,
    status: String,
    current_request_id: Option<String>,
    rounds: i64,
    created_at: String,
    updated_at: String,
    budget_status: Option<String>,
    budget_note: Option<String>,
}, id: String);

entity!(approval_document_line, "approval_document_line", {
    document_id: String,
    position: i64,
    description: String,
    quantity: String,
    unit_price: String,
    tax_code: Option<String>,
}, id: String);

entity!(approval_request, "approval_request", {
    document_id: String,
    policy_id: String,
    round: i64,
    status: String,
    matched_rule: String,
    explain: String,
    started_at: String,
    finished_at: Option<String>,
}, id: String);

entity!(approval_step, "approval_step", {
    request_id: String,
    level: i64,
    position: i64,
    level_name: String,
    mode: String,
    approver_id: String,
    acting_id: String,
    delegation_id: Option<String>,
    status: String,
    marker: Option<String>,
    version: i64,
    why: String,
    activated_at: Option<String>,
    due_at: Option<String>,
    reminders_sent: i64,
    escalations: i64,
    decided_by: Option<String>,
    decided_at: Option<String>,
    comment: Option<String>,
    sla_met: Option<bool>,
}, id: String);

entity!(approval_event, "approval_event", {
    document_id: String,
    request_id: Option<String>,
    step_id: Option<String>,
    at: String,
    actor_id: Option<String>,
    on_behalf_of_id: Option<String>,
    action: String,
    level: Option<i64>,
    comment: Option<String>,
    sla_met: Option<bool>,
}, id: String);

entity!(delegation, "delegation", {
    delegator_id: String,
    delegate_id: String,
    valid_from: String,
    valid_until: String,
    doc_types: Option<String>,
    departments: Option<String>,
    max_amount: Option<String>,
    revoked_at: Option<String>,
    created_at: String,
}, id: String);

entity!(notification, "notification", {
    user_id: String,
    kind: String,
    document_id: Option<String>,
    message: String,
    created_at: String,
    read_at: Option<String>,
    delivered_at: Option<String>,
    attempts: i64,
    last_error: Option<String>,
}, id: String);
