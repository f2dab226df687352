-- The approval engine (issue 3): organisation facts routing needs, policies, documents, approval
-- requests and their steps, delegations, business calendar and the in-app notification queue.
--
-- Portable SQL as in the first migration: TEXT ids and RFC 3339 UTC timestamps written by the
-- application's clock, money as TEXT holding the canonical decimal string, BOOLEAN, BIGINT,
-- no AUTOINCREMENT, no triggers.

-- Who heads a department ("department head" approvers). One head per department.
CREATE TABLE department_head (
    department_id TEXT PRIMARY KEY REFERENCES department (id),
    user_id       TEXT NOT NULL REFERENCES app_user (id),
    assigned_at   TEXT NOT NULL
);

-- Free-form designations ("executive", "internal_audit") that policies can route to. A
-- designation is a job title, not a permission: roles (app_user.role) still decide what a user
-- may do.
CREATE TABLE user_designation (
    user_id     TEXT NOT NULL REFERENCES app_user (id),
    designation TEXT NOT NULL,
    assigned_at TEXT NOT NULL,
    PRIMARY KEY (user_id, designation)
);

-- Imported policies are immutable: a new import is a new version. The active policy for a
-- document type is the highest version whose document_types include it. In-flight requests
-- point at the row they started with.
CREATE TABLE approval_policy (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    version         BIGINT NOT NULL UNIQUE,
    document_types  TEXT NOT NULL,      -- JSON array of document type names
    spec_json       TEXT NOT NULL,      -- the validated policy as imported
    imported_at     TEXT NOT NULL,
    imported_by     TEXT REFERENCES app_user (id)
);

CREATE TABLE approval_document (
    id                  TEXT PRIMARY KEY,
    doc_type            TEXT NOT NULL,
    number              TEXT NOT NULL UNIQUE,
    title               TEXT NOT NULL,
    requester_id        TEXT NOT NULL REFERENCES app_user (id),
    department_id       TEXT REFERENCES department (id),
    amount              TEXT NOT NULL,
    currency            TEXT NOT NULL,
    category            TEXT,
    project             TEXT,
    facts_json          TEXT NOT NULL,
    status              TEXT NOT NULL,
    current_request_id  TEXT,
    rounds              BIGINT NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX approval_document_requester ON approval_document (requester_id);

CREATE TABLE approval_document_line (
    id           TEXT PRIMARY KEY,
    document_id  TEXT NOT NULL REFERENCES approval_document (id),
    position     BIGINT NOT NULL,
    description  TEXT NOT NULL,
    quantity     TEXT NOT NULL,
    unit_price   TEXT NOT NULL,
    tax_code     TEXT
);
CREATE INDEX approval_document_line_document ON approval_document_line (document_id);

-- One request per submission round of a document.
CREATE TABLE approval_request (
    id            TEXT PRIMARY KEY,
    document_id   TEXT NOT NULL REFERENCES approval_document (id),
    policy_id     TEXT NOT NULL REFERENCES approval_policy (id),
    round         BIGINT NOT NULL,
    status        TEXT NOT NULL,
    matched_rule  TEXT NOT NULL,
    explain       TEXT NOT NULL,     -- why this rule matched, in words
    started_at    TEXT NOT NULL,
    finished_at   TEXT
);
CREATE INDEX approval_request_document ON approval_request (document_id);

-- One row per approver per level. `version` is bumped by every change; a decision is a
-- compare-and-swap on it.
CREATE TABLE approval_step (
    id               TEXT PRIMARY KEY,
    request_id       TEXT NOT NULL REFERENCES approval_request (id),
    level            BIGINT NOT NULL,
    position         BIGINT NOT NULL,
    level_name       TEXT NOT NULL,
    mode             TEXT NOT NULL,
    approver_id      TEXT NOT NULL REFERENCES app_user (id),  -- resolved when the request started
    acting_id        TEXT NOT NULL REFERENCES app_user (id),  -- who it is with now
    delegation_id    TEXT,                                    -- set while a delegation routes it
    status           TEXT NOT NULL,
    marker           TEXT,                                    -- escalated | delegated
    version          BIGINT NOT NULL,
    why              TEXT NOT NULL,                           -- "why is this with me?"
    activated_at     TEXT,
    due_at           TEXT,
    reminders_sent   BIGINT NOT NULL,
    escalations      BIGINT NOT NULL,
    decided_by       TEXT REFERENCES app_user (id),
    decided_at       TEXT,
    comment          TEXT,
    sla_met          BOOLEAN
);
CREATE INDEX approval_step_request ON approval_step (request_id);
CREATE INDEX approval_step_acting ON approval_step (acting_id, status);
CREATE INDEX approval_step_status_due ON approval_step (status, due_at);

-- The document's history as people read it ("Jane Doe on behalf of John Kamau").
CREATE TABLE approval_event (
    id               TEXT PRIMARY KEY,
    document_id      TEXT NOT NULL REFERENCES approval_document (id),
    request_id       TEXT,
    step_id          TEXT,
    at               TEXT NOT NULL,
    actor_id         TEXT REFERENCES app_user (id),   -- NULL for the system (jobs)
    on_behalf_of_id  TEXT REFERENCES app_user (id),
    action           TEXT NOT NULL,
    level            BIGINT,
    comment          TEXT,
    sla_met          BOOLEAN
);
CREATE INDEX approval_event_document ON approval_event (document_id);

CREATE TABLE delegation (
    id             TEXT PRIMARY KEY,
    delegator_id   TEXT NOT NULL REFERENCES app_user (id),
    delegate_id    TEXT NOT NULL REFERENCES app_user (id),
    valid_from     TEXT NOT NULL,        -- inclusive
    valid_until    TEXT NOT NULL,        -- exclusive
    doc_types      TEXT,                 -- JSON array; NULL = every type
    departments    TEXT,                 -- JSON array of department ids; NULL = every department
    max_amount     TEXT,                 -- NULL = no limit
    revoked_at     TEXT,
    created_at     TEXT NOT NULL
);
CREATE INDEX delegation_delegator ON delegation (delegator_id);

-- Company holidays for SLA business hours (the work week itself is in code: Monday to Friday,
-- 08:00 to 17:00 in the company's time zone).
CREATE TABLE holiday (
    day   TEXT PRIMARY KEY,   -- YYYY-MM-DD
    name  TEXT NOT NULL
);

-- In-app notification queue, written in the same transaction as the change it reports. A
-- desktop delivery loop marks rows delivered; attempts and last_error are its retry state.
CREATE TABLE notification (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES app_user (id),
    kind          TEXT NOT NULL,     -- approval_request | reminder | escalation | delegation | decision
    document_id   TEXT,
    message       TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    read_at       TEXT,
    delivered_at  TEXT,
    attempts      BIGINT NOT NULL,
    last_error    TEXT
);
CREATE INDEX notification_user ON notification (user_id, read_at);
