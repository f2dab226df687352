-- Budgets wired into approvals: what the budget said when the document was last submitted, so
-- `doc show` and the document page can show it. NULL until the first submission.
--
-- budget_status: within_budget | over_budget (SOFT_WARNING, flagged and continued) |
--                escalated (ESCALATE, executive level added) | no_budget (nothing covers it)
-- budget_note:   the words shown with it, e.g. "exceeds budget Operations FY2026 by KES 5,000.00".
ALTER TABLE approval_document ADD COLUMN budget_status TEXT;
ALTER TABLE approval_document ADD COLUMN budget_note TEXT;
