//! The document state machine: the only code that decides a document's next status. Every path
//! (CLI, UI, bulk, jobs, a future import or sync) calls [`next`] and stores what it returns.

use super::DocumentStatus::{self, *};
use hesabu_store::error::{Error, Result};

/// Something that happens to a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Submit,
    /// The submitted document was routed to its first level.
    Route,
    /// The last required approval arrived.
    FinalApprove,
    /// Within budget and at or under the budget's auto-approve threshold: approved at
    /// submission, without an approval chain (see `budget_hooks`).
    AutoApprove,
    Reject,
    Return,
    Clarify,
    /// The requester took it back before anyone decided.
    Recall,
    /// Sent again after a return, clarification request or rejection.
    Resubmit,
    Cancel,
}

/// The status after `transition`, or an error saying what is possible instead.
pub fn next(from: DocumentStatus, transition: Transition) -> Result<DocumentStatus> {
    use Transition as T;
    let to = match (from, transition) {
        (Draft, T::Submit) => Some(Submitted),
        (Submitted, T::Route) => Some(PendingApproval),
        (PendingApproval, T::FinalApprove) => Some(Approved),
        (Submitted, T::AutoApprove) => Some(Approved),
        (PendingApproval, T::Reject) => Some(Rejected),
        (PendingApproval, T::Return) => Some(Returned),
        (PendingApproval, T::Clarify) => Some(ClarificationRequested),
        (PendingApproval, T::Recall) => Some(Draft),
        (Returned | ClarificationRequested | Rejected, T::Resubmit) => Some(Submitted),
        (
            Draft | Submitted | PendingApproval | Returned | ClarificationRequested | Rejected,
            T::Cancel,
        ) => Some(Cancelled),
        _ => None,
    };
    to.ok_or_else(|| {
        let hint = match from {
            Draft => "Submit it first.",
            PendingApproval => "It is waiting for approval: recall or cancel it first.",
            Approved => "It is approved and final; raise a new document to change it.",
            Cancelled => "It is cancelled; raise a new document instead.",
            Returned | ClarificationRequested | Rejected => "Resubmit it (or cancel it).",
            Submitted => "It is being routed.",
        };
        Error::Conflict(format!(
            "A document that is {} cannot be {}. {hint}",
            from.as_str().replace('_', " "),
            match transition {
                T::Submit => "submitted",
                T::Route => "routed",
                T::FinalApprove => "approved",
                T::AutoApprove => "auto-approved",
                T::Reject => "rejected",
                T::Return => "returned",
                T::Clarify => "sent back for clarification",
                T::Recall => "recalled",
                T::Resubmit => "resubmitted",
                T::Cancel => "cancelled",
            }
        ))
    })
}

/// Whether a document's content (title, amount, department, lines, facts) may be corrected: a
/// draft, or a document handed back to its requester (returned, or sent back for
/// clarification). Anywhere else it is with its approvers, decided, or final. `number` names
/// the document in the refusal.
pub fn editable(number: &str, status: DocumentStatus) -> Result<()> {
    let why = match status {
        Draft | Returned | ClarificationRequested => return Ok(()),
        Submitted | PendingApproval => {
            " while it is waiting for approval: recall it first (before anyone decides), then \
             edit it."
        }
        Rejected => ": it is rejected. Resubmit it as it is, or raise a new document.",
        Approved => ": it is approved and final. Raise a new document to change it.",
        Cancelled => ": it is cancelled. Raise a new document instead.",
    };
    Err(Error::Conflict(format!("{number} cannot be edited{why}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_happy_path_and_the_dead_ends() {
        let mut s = Draft;
        for t in [
            Transition::Submit,
            Transition::Route,
            Transition::FinalApprove,
        ] {
            s = next(s, t).unwrap();
        }
        assert_eq!(s, Approved);
        assert!(next(Approved, Transition::Cancel).is_err());
        assert!(next(Cancelled, Transition::Resubmit).is_err());
        assert_eq!(next(Returned, Transition::Resubmit).unwrap(), Submitted);
        assert_eq!(next(PendingApproval, Transition::Recall).unwrap(), Draft);
        assert!(next(Draft, Transition::FinalApprove).is_err());
        assert_eq!(next(Submitted, Transition::AutoApprove).unwrap(), Approved);
        assert!(next(PendingApproval, Transition::AutoApprove).is_err());
        assert!(next(Draft, Transition::AutoApprove).is_err());
    }

    #[test]
    fn only_a_draft_or_a_document_handed_back_is_editable() {
        for ok in [Draft, Returned, ClarificationRequested] {
            assert!(editable("PO-000001", ok).is_ok(), "{ok:?}");
        }
        for (status, words) in [
            (Submitted, "waiting for approval: recall it first"),
            (PendingApproval, "waiting for approval: recall it first"),
            (Rejected, "it is rejected"),
            (Approved, "approved and final"),
            (Cancelled, "cancelled"),
        ] {
            let e = editable("PO-000001", status).unwrap_err().to_string();
            assert!(e.starts_with("PO-000001 cannot be edited"), "{e}");
            assert!(e.contains(words), "{status:?}: {e}");
        }
    }
}
