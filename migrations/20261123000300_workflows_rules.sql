-- Workflow configuration, local events, the workflow execution log, rule tables and their
-- evaluations (issue 5, "Workflow configuration" and "Rules").
--
-- Portable SQL (see the first migration): TEXT ids and RFC 3339 UTC timestamps from the
-- application's clock, BOOLEAN, BIGINT, no AUTOINCREMENT, no triggers. Append-only.

-- One row per workflow type (invoice_sync, customer_sync, item_sync, credit_note_sync,
-- sales_sync). A type with no row is disabled with its default config. `version` counts changes;
-- every change also lands in workflow_config_history and the audit log.
CREATE TABLE workflow_config (
    workflow_type TEXT PRIMARY KEY,
    enabled       BOOLEAN NOT NULL,
    auto_sync     BOOLEAN NOT NULL,
    config_json   TEXT NOT NULL,         -- the validated, typed config (camelCase keys)
    version       BIGINT NOT NULL,
    updated_at    TEXT NOT NULL,
    updated_by    TEXT REFERENCES app_user (id)
);

CREATE TABLE workflow_config_history (
    id            TEXT PRIMARY KEY,
    workflow_type TEXT NOT NULL,
    version       BIGINT NOT NULL,
    enabled       BOOLEAN NOT NULL,
    auto_sync     BOOLEAN NOT NULL,
    config_json   TEXT NOT NULL,
    changed_at    TEXT NOT NULL,
    changed_by    TEXT REFERENCES app_user (id),
    UNIQUE (workflow_type, version)
);

-- Local events (a document created/updated/approved, a customer or item changed, something
-- pulled from QuickBooks), written in the same unit of work as the change they describe.
-- entity_version counts the entity's content changes (approvals do not change content), and
-- feeds the outbox idempotency key so one state of an entity is sent once.
CREATE TABLE events (
    id             TEXT PRIMARY KEY,
    event_type     TEXT NOT NULL,        -- created | updated | approved | changed | pulled
    entity_type    TEXT NOT NULL,        -- sales_invoice, purchase_order, customer, item, ...
    entity_id      TEXT NOT NULL,
    entity_version BIGINT NOT NULL,
    source         TEXT NOT NULL,        -- local | quickbooks
    payload        TEXT NOT NULL,        -- JSON: what the workflows need to know about the entity
    actor_id       TEXT,
    occurred_at    TEXT NOT NULL
);
CREATE INDEX events_entity ON events (entity_type, entity_id, occurred_at);

-- The workflow execution log: one row per execution. Read by monitoring for metrics.
--   status: pending (queued or held) | running (its outbox row is in flight) | completed |
--           failed | skipped
--   duration_ms: completed_at - started_at, once finished
--   result_ref: what the target called it (e.g. the e-TIMS receipt number), from the outbox ack
CREATE TABLE workflow_execution (
    id             TEXT PRIMARY KEY,
    workflow_type  TEXT NOT NULL,
    entity_type    TEXT NOT NULL,
    entity_id      TEXT NOT NULL,
    entity_version BIGINT NOT NULL,
    trigger        TEXT NOT NULL,        -- event | manual | retry
    event_id       TEXT REFERENCES events (id),
    outbox_id      TEXT REFERENCES outbox (id),
    status         TEXT NOT NULL,
    started_at     TEXT,
    completed_at   TEXT,
    duration_ms    BIGINT,
    attempts       BIGINT NOT NULL,
    error_kind     TEXT,
    error_message  TEXT,
    result_ref     TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    created_by     TEXT REFERENCES app_user (id)
);
CREATE INDEX workflow_execution_status ON workflow_execution (status, created_at);
CREATE INDEX workflow_execution_type ON workflow_execution (workflow_type, created_at);
CREATE INDEX workflow_execution_entity ON workflow_execution (workflow_type, entity_id);
CREATE INDEX workflow_execution_outbox ON workflow_execution (outbox_id);

-- Decision tables. Imports are immutable: a new import of a name is a new version, and the
-- active table of a name is its highest version. Every active table for a document type is
-- evaluated, in name order.
CREATE TABLE rule_table (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    document_type TEXT NOT NULL,
    version       BIGINT NOT NULL,
    spec_json     TEXT NOT NULL,
    imported_at   TEXT NOT NULL,
    imported_by   TEXT REFERENCES app_user (id),
    UNIQUE (name, version)
);

-- One row per evaluation of a document's rules: what came out and why (the trace).
CREATE TABLE rule_evaluation (
    id           TEXT PRIMARY KEY,
    document_id  TEXT NOT NULL REFERENCES approval_document (id),
    trigger      TEXT NOT NULL,          -- created | submitted
    outcome      TEXT NOT NULL,          -- passed | actions | blocked
    actions_json TEXT NOT NULL,          -- the actions that applied, in order
    trace_json   TEXT NOT NULL,          -- every row of every table: matched or not, and why
    evaluated_at TEXT NOT NULL,
    evaluated_by TEXT REFERENCES app_user (id)
);
CREATE INDEX rule_evaluation_document ON rule_evaluation (document_id, evaluated_at);

-- flag_for_tax_review: a flagged document is not sent to e-TIMS until someone resolves it.
-- tax_review: NULL | flagged | resolved; tax_review_note: the reason (or the resolution note).
ALTER TABLE approval_document ADD COLUMN tax_review TEXT;
ALTER TABLE approval_document ADD COLUMN tax_review_note TEXT;
