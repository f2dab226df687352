//! The approval gate of the sales ledger: issuing a sale, through approval when it must.
//!
//! A sale needs approval before it is issued when its KES total is above the company's sales
//! approval threshold or the invoice workflow's `requireApprovalAbove` (the lower of the two),
//! or when a business rule for `sales_invoice` requires it. Then the sale gets an approval
//! request: an `approval_document` with the **same id** as the sale, carrying its real total,
//! lines and facts (customer, PIN, type), so the approval policies and the rule tables judge
//! the sale itself, not a stand-in. The sale waits as `pending_approval`; final approval issues
//! it (`actions`), a rejection or return makes it a draft again. Without any of that the sale is
//! issued at once. Sales never touch an expense budget (`budget_hooks` skips them).

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::Directory;
use super::documents::{event, set_status};
use super::routing::route;
use crate::documents::DocumentType;
use crate::documents::state::Transition;
use crate::entities::{DocumentStatus, approval_document, approval_document_line};
use crate::rules::{self, RuleAction, service::RuleTrigger};
use crate::sales::documents::{self as sales, SaleView};
use crate::sales::{SalesStatus, SalesType};
use crate::workflows::{WorkflowConfig, WorkflowType};
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::permissions::Permission;
use hesabu_store::uow::UnitOfWork;
use rust_decimal::Decimal;
use sea_orm::PaginatorTrait;

/// The KES total above which issuing needs approval: the lower of the company's sales setting
/// and an enabled invoice workflow's `requireApprovalAbove`. None: only rules can ask.
pub(crate) async fn approval_threshold(
    db: &impl sea_orm::ConnectionTrait,
) -> Result<Option<Decimal>> {
    let company = crate::sales::settings::load(db).await?.approval_above;
    let settings = crate::workflows::settings_of(db, WorkflowType::InvoiceSync).await?;
    let workflow = match (&settings.config, settings.enabled) {
        (WorkflowConfig::Invoice(c), true) => c.require_approval_above.map(|a| a.0),
        _ => None,
    };
    Ok(match (company, workflow) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    })
}

/// Issues a draft sale, or sends it for approval first when it must (see the module docs).
pub async fn issue(file: &CompanyFile, session: &Session, key: &str) -> Result<SaleView> {
    session.require(Permission::SalesIssue)?;
    let mut uow = file.begin(session).await?;
    let sale = sales::find(uow.db(), key).await?;
    if sale.doc_type == SalesType::CreditNote {
        session.require(Permission::SalesCredit)?;
    }
    match sale.status {
        SalesStatus::Draft => {}
        SalesStatus::PendingApproval => {
            return Err(Error::Conflict(format!(
                "{} is already waiting for approval; it is issued when the last approver \
                 approves it.",
                sales::label(&sale)
            )));
        }
        other => {
            return Err(Error::Conflict(format!(
                "{} is already {other}.",
                sales::label(&sale)
            )));
        }
    }
    let warnings = sales::check_issuable(&uow, &sale).await?;
    let subject = sales::approval_subject(uow.db(), &sale).await?;
    let threshold = approval_threshold(uow.db()).await?;
    let over = threshold.filter(|t| subject.amount_kes > *t);
    let has_rules =
        rules::service::has_active_tables(uow.db(), DocumentType::SalesInvoice.as_str()).await?;
    let pending = if over.is_none() && !has_rules {
        sales::issue_in(&mut uow, &sale.id, false).await?;
        false
    } else {
        through_approval(&mut uow, session, &sale, subject, over).await?
    };
    uow.commit().await?;
    let mut view = sales::show(file, session, &sale.id).await?;
    view.warnings = warnings;
    if pending {
        view.warnings.push(format!(
            "Sent for approval{}: it is issued (and numbered) when approved.",
            over.map_or_else(
                || " because a business rule requires it".to_owned(),
                |t| {
                    let limit =
                        hesabu_store::money::Money::new(t, hesabu_store::money::Currency::kes());
                    format!(" because its total is above {limit}")
                }
            )
        ));
    }
    Ok(view)
}

/// Opens (or reopens) the sale's approval request and routes it; or, when the rules ask for
/// nothing and the amount is within the threshold, approves it at once and issues the sale.
/// Returns whether the sale now waits for approval.
async fn through_approval(
    uow: &mut UnitOfWork,
    session: &Session,
    sale: &crate::entities::sales_document::Model,
    subject: sales::ApprovalSubject,
    over: Option<Decimal>,
) -> Result<bool> {
    let mirror = upsert_request_document(uow, session, sale, &subject).await?;
    let transition = match mirror.status {
        DocumentStatus::Draft => Transition::Submit,
        _ => Transition::Resubmit,
    };
    let doc = set_status(uow, mirror, transition).await?;
    let mut evaluation = rules::service::evaluate_document(uow.db(), &doc).await?;
    if let Some(blocked) = evaluation.as_ref().and_then(|e| e.blocked().cloned()) {
        let reason = match &blocked.action {
            RuleAction::Block { reason } => reason.clone(),
            other => other.describe(),
        };
        return Err(Error::Conflict(format!(
            "{} cannot be issued: {reason} (rule table '{}', row {} '{}'). Fix the sale and \
             issue it again; nothing was issued.",
            sales::label(sale),
            blocked.table,
            blocked.row,
            blocked.row_name
        )));
    }
    if let Some(e) = evaluation.as_mut() {
        super::rule_hooks::apply_before_routing(uow, &doc, e, RuleTrigger::Submitted).await?;
    }
    let doc = crate::documents::load(uow.db(), &doc.id).await?;
    event(uow, &doc, None, None, "submitted", None, None).await?;
    let rule_requires = evaluation.as_ref().is_some_and(|e| {
        e.actions
            .iter()
            .any(|a| matches!(a.action, RuleAction::RequireApproval { .. }))
    });
    let pending = over.is_some() || rule_requires;
    if pending {
        let dir = Directory::load(uow.db()).await?;
        let (doc, request) = route(uow, &dir, doc).await?;
        if let Some(e) = evaluation.as_mut() {
            super::rule_hooks::apply_require_approval(uow, &doc, e).await?;
        }
        sales::set_pending(uow, &sale.id).await?;
        uow.audit(AuditDraft {
            action: "sale.submit",
            entity_type: "sale",
            entity_id: sale.id.clone(),
            before: None,
            after: Some(json!({
                "approval_number": doc.number,
                "request_id": request.id,
                "total_kes": subject.amount_kes,
                "threshold": over,
            })),
        })
        .await?;
    } else {
        let doc = set_status(uow, doc, Transition::AutoApprove).await?;
        event(
            uow,
            &doc,
            None,
            None,
            "auto_approved",
            None,
            Some("within the sales approval threshold; no business rule asks for approval".into()),
        )
        .await?;
        sales::issue_in(uow, &sale.id, false).await?;
    }
    if let Some(e) = evaluation.as_ref() {
        rules::service::store(uow, &sale.id, RuleTrigger::Submitted, e).await?;
    }
    Ok(pending)
}

/// The sale's approval request document (same id as the sale), created or refreshed with the
/// sale's current content.
async fn upsert_request_document(
    uow: &UnitOfWork,
    session: &Session,
    sale: &crate::entities::sales_document::Model,
    subject: &sales::ApprovalSubject,
) -> Result<approval_document::Model> {
    let existing = approval_document::Entity::find_by_id(sale.id.clone())
        .one(uow.db())
        .await?;
    let requester =
        hesabu_store::entities::app_user::Entity::find_by_id(session.user_id().to_owned())
            .one(uow.db())
            .await?
            .ok_or_else(|| Error::Internal("the signed-in user is missing".into()))?;
    let now = uow.now_text();
    let doc = match existing {
        Some(doc) => {
            use sea_orm::{IntoActiveModel, Set};
            let mut active = doc.into_active_model();
            active.title = Set(subject.title.clone());
            active.amount = Set(subject.amount_kes.into());
            active.facts_json = Set(subject.facts.to_string());
            active.requester_id = Set(requester.id.clone());
            active.updated_at = Set(now);
            let doc = active.update(uow.db()).await?;
            approval_document_line::Entity::delete_many()
                .filter(approval_document_line::Column::DocumentId.eq(doc.id.clone()))
                .exec(uow.db())
                .await?;
            doc
        }
        None => {
            let count = approval_document::Entity::find()
                .filter(approval_document::Column::DocType.eq(DocumentType::SalesInvoice.as_str()))
                .count(uow.db())
                .await?;
            approval_document::ActiveModel::from(approval_document::Model {
                id: sale.id.clone(),
                doc_type: DocumentType::SalesInvoice.as_str().into(),
                number: format!(
                    "{}-{:06}",
                    DocumentType::SalesInvoice.number_prefix(),
                    count + 1
                ),
                title: subject.title.clone(),
                requester_id: requester.id.clone(),
                department_id: requester.department_id.clone(),
                amount: subject.amount_kes.into(),
                currency: crate::company::load(uow.db()).await?.base_currency,
                category: None,
                project: None,
                facts_json: subject.facts.to_string(),
                status: DocumentStatus::Draft,
                current_request_id: None,
                rounds: 0,
                created_at: now.clone(),
                updated_at: now,
                budget_status: None,
                budget_note: None,
            })
            .insert(uow.db())
            .await?
        }
    };
    for (i, (description, quantity, unit_price, tax)) in subject.lines.iter().enumerate() {
        approval_document_line::ActiveModel::from(approval_document_line::Model {
            id: uow.new_id(),
            document_id: doc.id.clone(),
            position: i64::try_from(i + 1).unwrap_or(i64::MAX),
            description: description.clone(),
            quantity: (*quantity).into(),
            unit_price: (*unit_price).into(),
            tax_code: Some(tax.clone()),
        })
        .insert(uow.db())
        .await?;
    }
    Ok(doc)
}
