//! SeaORM entities: the stored shape of each domain table (the kernel's own tables are in
//! `hesabu_store::entities`). Private to the crate; services convert them to wire types before
//! anything leaves it. The bottom of the domain's layers: it imports no service.
//!
//! Ids and timestamps are TEXT (UUID v7, RFC 3339 UTC via `clock::format_timestamp`) so the
//! schema stays portable to PostgreSQL and the audit hash covers exactly the stored text. Money
//! columns are `String` holding the canonical decimal text, parsed with `Decimal::from_str_exact`
//! (a Decimal-typed column would come back from SQLite through f64).

use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

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
        /// `exclusive` or `inclusive`: how the company's sales prices are entered.
        pub sales_price_basis: String,
        /// Issuing a sale above this KES total goes through approval.
        pub sales_approval_above: Option<hesabu_store::columns::DecimalText>,
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

pub mod budget {
    use hesabu_store::columns::DecimalText;
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
        pub amount: DecimalText,
        pub currency: String,
        pub enforcement: String,
        pub auto_approve_threshold: Option<DecimalText>,
        pub parent_id: Option<String>,
        pub status: super::BudgetStatus,
        pub created_at: String,
        pub updated_at: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod budget_balance {
    use hesabu_store::columns::DecimalText;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "budget_balance")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub budget_id: String,
        pub budgeted: DecimalText,
        pub available: DecimalText,
        pub reserved: DecimalText,
        pub committed: DecimalText,
        pub spent: DecimalText,
        pub entries: i64,
        pub updated_at: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod budget_reservation {
    use hesabu_store::columns::DecimalText;
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
        pub held: DecimalText,
        pub committed: DecimalText,
        pub spent: DecimalText,
        pub released: DecimalText,
        pub status: super::ReservationStatus,
        pub created_at: String,
        pub updated_at: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod budget_ledger {
    use hesabu_store::columns::DecimalText;
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
        pub amount: DecimalText,
        pub is_override: bool,
        pub reason: Option<String>,
        pub available_after: DecimalText,
        pub actor_id: Option<String>,
        pub actor_email: String,
        pub at: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod budget_check_log {
    use hesabu_store::columns::DecimalText;
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
        pub amount: DecimalText,
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

/// Where a step of an approval chain stands (`approval_step.status`, TEXT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Planned, not yet open (a later level, or the next approver of a serial level).
    #[sea_orm(string_value = "waiting")]
    Waiting,
    /// Open: with its approver (or their delegate) now.
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "approved")]
    Approved,
    #[sea_orm(string_value = "rejected")]
    Rejected,
    #[sea_orm(string_value = "returned")]
    Returned,
    #[sea_orm(string_value = "clarification_requested")]
    ClarificationRequested,
    /// Not needed (an any-one level someone else decided, an empty level skipped by policy).
    #[sea_orm(string_value = "skipped")]
    Skipped,
    /// Its request closed before it was decided.
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

/// Where one submission round of a document stands (`approval_request.status`, TEXT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "approved")]
    Approved,
    #[sea_orm(string_value = "rejected")]
    Rejected,
    #[sea_orm(string_value = "returned")]
    Returned,
    #[sea_orm(string_value = "clarification_requested")]
    ClarificationRequested,
    #[sea_orm(string_value = "recalled")]
    Recalled,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

macro_rules! stored_words {
    ($ty:ident { $($variant:ident => $word:literal),* $(,)? }) => {
        impl $ty {
            /// The stored word.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $word,)*
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// Whether a budget is in force (`budget.status`, TEXT). An archived budget keeps its ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum BudgetStatus {
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "archived")]
    Archived,
}

/// Whether a reservation still holds money (`budget_reservation.status`, TEXT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum ReservationStatus {
    #[sea_orm(string_value = "open")]
    Open,
    #[sea_orm(string_value = "closed")]
    Closed,
}

stored_words!(BudgetStatus {
    Active => "active",
    Archived => "archived",
});

stored_words!(ReservationStatus {
    Open => "open",
    Closed => "closed",
});

stored_words!(StepStatus {
    Waiting => "waiting",
    Pending => "pending",
    Approved => "approved",
    Rejected => "rejected",
    Returned => "returned",
    ClarificationRequested => "clarification_requested",
    Skipped => "skipped",
    Cancelled => "cancelled",
});

stored_words!(RequestStatus {
    Pending => "pending",
    Approved => "approved",
    Rejected => "rejected",
    Returned => "returned",
    ClarificationRequested => "clarification_requested",
    Recalled => "recalled",
    Cancelled => "cancelled",
});

/// A document's status (`approval_document.status`, TEXT). Only the state machine
/// (`documents::state`) changes it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, TS,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "submitted")]
    Submitted,
    #[sea_orm(string_value = "pending_approval")]
    PendingApproval,
    #[sea_orm(string_value = "approved")]
    Approved,
    #[sea_orm(string_value = "rejected")]
    Rejected,
    #[sea_orm(string_value = "returned")]
    Returned,
    #[sea_orm(string_value = "clarification_requested")]
    ClarificationRequested,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

impl DocumentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentStatus::Draft => "draft",
            DocumentStatus::Submitted => "submitted",
            DocumentStatus::PendingApproval => "pending_approval",
            DocumentStatus::Approved => "approved",
            DocumentStatus::Rejected => "rejected",
            DocumentStatus::Returned => "returned",
            DocumentStatus::ClarificationRequested => "clarification_requested",
            DocumentStatus::Cancelled => "cancelled",
        }
    }
}

impl std::fmt::Display for DocumentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

// The approval engine's tables (migrations 20261122000100_approvals.sql and
// 20261122000400_budget_wiring.sql).

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
    amount: hesabu_store::columns::DecimalText,
    currency: String,
    category: Option<String>,
    project: Option<String>,
    facts_json: String,
    status: crate::entities::DocumentStatus,
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
    quantity: hesabu_store::columns::DecimalText,
    unit_price: hesabu_store::columns::DecimalText,
    tax_code: Option<String>,
}, id: String);

entity!(approval_request, "approval_request", {
    document_id: String,
    policy_id: String,
    round: i64,
    status: crate::entities::RequestStatus,
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
    status: crate::entities::StepStatus,
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
    max_amount: Option<hesabu_store::columns::DecimalText>,
    revoked_at: Option<String>,
    created_at: String,
}, id: String);

// The sales ledger's tables (migration 20261202000200_sales_ledger.sql).

/// Where a sales document is in its life (`sales_document.status`, TEXT). Only
/// `sales::documents` changes it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, TS,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum SalesStatus {
    /// Being written; no number yet, freely editable.
    #[sea_orm(string_value = "draft")]
    Draft,
    /// Waiting for approval before it is issued (still unnumbered).
    #[sea_orm(string_value = "pending_approval")]
    PendingApproval,
    /// Numbered and immutable; waiting to be signed by KRA e-TIMS.
    #[sea_orm(string_value = "issued")]
    Issued,
    /// Signed by KRA e-TIMS: only a credit note corrects it.
    #[sea_orm(string_value = "fiscalised")]
    Fiscalised,
    /// Cancelled before fiscalisation; keeps its number so the sequence has no gap.
    #[sea_orm(string_value = "void")]
    Void,
}

stored_words!(SalesStatus {
    Draft => "draft",
    PendingApproval => "pending_approval",
    Issued => "issued",
    Fiscalised => "fiscalised",
    Void => "void",
});

/// The kinds of sales document (`sales_document.doc_type`, TEXT).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, TS,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum SalesType {
    #[sea_orm(string_value = "invoice")]
    Invoice,
    #[sea_orm(string_value = "credit_note")]
    CreditNote,
    /// A cash sale (QuickBooks' sales receipt): paid at the counter.
    #[sea_orm(string_value = "cash_sale")]
    CashSale,
}

stored_words!(SalesType {
    Invoice => "invoice",
    CreditNote => "credit_note",
    CashSale => "cash_sale",
});

entity!(customer, "customer", {
    number: String,
    name: String,
    name_key: String,
    kra_pin: Option<String>,
    customer_type: String,
    email: Option<String>,
    mobile: Option<String>,
    address: Option<String>,
    credit_limit: Option<hesabu_store::columns::DecimalText>,
    active: bool,
    qbo_id: Option<String>,
    qbo_sync_token: Option<String>,
    etims_state: String,
    created_at: String,
    updated_at: String,
}, id: String);

entity!(item, "item", {
    code: String,
    name: String,
    name_key: String,
    classification_code: Option<String>,
    packaging_unit: String,
    quantity_unit: String,
    tax_type: String,
    product_type: String,
    origin_country: String,
    unit_price: hesabu_store::columns::DecimalText,
    barcode: Option<String>,
    service_level: Option<String>,
    active: bool,
    kra_item_code: String,
    qbo_id: Option<String>,
    qbo_sync_token: Option<String>,
    etims_state: String,
    created_at: String,
    updated_at: String,
}, id: String);

entity!(number_sequence, "number_sequence", {
    last_number: i64,
}, name: String);

entity!(sales_document, "sales_document", {
    doc_type: crate::entities::SalesType,
    status: crate::entities::SalesStatus,
    sequence_number: Option<i64>,
    number: Option<String>,
    customer_id: Option<String>,
    customer_name: String,
    customer_pin: Option<String>,
    issue_date: String,
    due_date: Option<String>,
    currency: String,
    exchange_rate: hesabu_store::columns::DecimalText,
    price_basis: String,
    payment_method: Option<String>,
    amount_paid: hesabu_store::columns::DecimalText,
    notes: Option<String>,
    original_id: Option<String>,
    reason_code: Option<String>,
    total_taxable: hesabu_store::columns::DecimalText,
    total_tax: hesabu_store::columns::DecimalText,
    total: hesabu_store::columns::DecimalText,
    total_kes: hesabu_store::columns::DecimalText,
    created_by: String,
    created_at: String,
    updated_at: String,
    issued_by: Option<String>,
    issued_at: Option<String>,
    fiscalised_at: Option<String>,
    voided_by: Option<String>,
    voided_at: Option<String>,
    void_reason: Option<String>,
    qbo_id: Option<String>,
    qbo_sync_token: Option<String>,
}, id: String);

entity!(sales_line, "sales_line", {
    document_id: String,
    position: i64,
    item_id: Option<String>,
    original_line_id: Option<String>,
    description: String,
    quantity: hesabu_store::columns::DecimalText,
    unit_price: hesabu_store::columns::DecimalText,
    discount_kind: String,
    discount_value: hesabu_store::columns::DecimalText,
    tax_type: String,
    tax_rate: hesabu_store::columns::DecimalText,
    supply_amount: hesabu_store::columns::DecimalText,
    discount_amount: hesabu_store::columns::DecimalText,
    taxable_amount: hesabu_store::columns::DecimalText,
    tax_amount: hesabu_store::columns::DecimalText,
    total_amount: hesabu_store::columns::DecimalText,
}, id: String);

// The e-TIMS fiscal flow's tables (migration 20261202000400_etims_fiscal.sql).

/// Where a sale's e-TIMS submission is (`fiscal_submission.state`, TEXT). Only `sales::fiscal`
/// changes it; a signed row never changes again.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, TS,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum FiscalState {
    /// The invoice number is taken and the request frozen; not known to have been answered.
    #[sea_orm(string_value = "reserved")]
    Reserved,
    /// Sent without an answer: KRA is asked before anything is sent again.
    #[sea_orm(string_value = "unknown")]
    Unknown,
    /// Signed by KRA: immutable.
    #[sea_orm(string_value = "signed")]
    Signed,
    /// Refused by KRA (its code and message kept verbatim).
    #[sea_orm(string_value = "rejected")]
    Rejected,
}

stored_words!(FiscalState {
    Reserved => "reserved",
    Unknown => "unknown",
    Signed => "signed",
    Rejected => "rejected",
});

entity!(etims_device, "etims_device", {
    gateway: String,
    base_url: String,
    token_url: Option<String>,
    consumer_key: Option<String>,
    tin: String,
    bhf_id: String,
    dvc_srl_no: String,
    dvc_id: Option<String>,
    sdc_id: Option<String>,
    mrc_no: Option<String>,
    taxpayer_name: Option<String>,
    branch_name: Option<String>,
    init_info: Option<String>,
    key_source: String,
    initialised_at: String,
    initialised_by: Option<String>,
    last_invc_no: i64,
    unused_band_rate: String,
    price_basis: String,
    updated_at: String,
}, company_id: String);

entity!(fiscal_submission, "fiscal_submission", {
    document_id: String,
    state: crate::entities::FiscalState,
    tin: String,
    bhf_id: String,
    invc_no: Option<i64>,
    released_invc_no: Option<i64>,
    org_invc_no: i64,
    rcpt_ty_cd: String,
    request_json: String,
    response_json: Option<String>,
    cur_rcpt_no: Option<i64>,
    tot_rcpt_no: Option<i64>,
    intrl_data: Option<String>,
    rcpt_sign: Option<String>,
    sdc_date_time: Option<String>,
    sdc_id: Option<String>,
    mrc_no: Option<String>,
    cfm_dt: String,
    result_cd: Option<String>,
    result_msg: Option<String>,
    adopted: bool,
    attempts: i64,
    created_at: String,
    updated_at: String,
    last_attempt_at: Option<String>,
    signed_at: Option<String>,
}, id: String);

#[cfg(test)]
mod tests {
    use sea_orm::{ActiveEnum, Iterable};

    use super::*;

    /// Each state enum spells its stored words twice (the `string_value` the column holds and
    /// `as_str` for messages and wire types): they must agree for every variant.
    #[test]
    fn every_state_is_stored_as_the_word_it_prints() {
        fn check<E: ActiveEnum<Value = String> + Iterable + std::fmt::Display>() {
            for state in E::iter() {
                assert_eq!(state.to_value(), state.to_string());
            }
        }
        check::<DocumentStatus>();
        check::<StepStatus>();
        check::<RequestStatus>();
        check::<BudgetStatus>();
        check::<ReservationStatus>();
        check::<SalesStatus>();
        check::<SalesType>();
        check::<FiscalState>();
    }
}
