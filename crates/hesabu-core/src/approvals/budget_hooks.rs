//! The seam where budgets (issue 4) plug into approvals. The engine calls
//! [`on_document_event`] inside the same unit of work as the status change, so a budget
//! reservation, commitment or release will land (or roll back) together with the decision.
//!
//! Today it does nothing: budgets are being built separately. Issue 4 fills in the body (for
//! example: `Submitted` reserves the amount against the department's budget line and may refuse
//! with `Error::InvalidInput` when it would overspend; `FinalApproved` turns the reservation into
//! a commitment; `Rejected`, `Returned`, `Recalled`, `ClarificationRequested` and `Cancelled`
//! release it). Keep the signature: the engine's call sites already pass everything needed.

use super::entities::approval_document;
use crate::error::Result;
use crate::uow::UnitOfWork;

/// A budget-relevant moment in a document's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetEvent {
    Submitted,
    FinalApproved,
    Rejected,
    Returned,
    ClarificationRequested,
    Recalled,
    Cancelled,
}

/// Called by the engine inside the unit of work that changes the document's status. Returning
/// an error rolls the whole change back.
pub(crate) async fn on_document_event(
    _uow: &mut UnitOfWork,
    _document: &approval_document::Model,
    _event: BudgetEvent,
) -> Result<()> {
    Ok(())
}
