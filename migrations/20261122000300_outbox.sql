-- The durable outbox, its worker's dead-letter notifications.
--
-- Portable SQL (see the first migration): TEXT ids and RFC 3339 UTC timestamps from the
-- application's clock, no AUTOINCREMENT, no triggers. Append-only: add a new file to change this.

-- One row per message to an external system (KRA e-TIMS, QuickBooks Online, ...). Written in the
-- same transaction as the business change that caused it (UnitOfWork::enqueue), and it owns its
-- own retry state. Only the outbox module moves `state`:
--   ready -> in_flight -> done | ready (retry later) | dead (needs a person)
--   in_flight -> ready with check_first (crash recovery at start-up)
--   dead -> ready (a person's audited retry)
CREATE TABLE outbox (
    id                 TEXT PRIMARY KEY,          -- UUID v7
    seq                BIGINT NOT NULL UNIQUE,    -- enqueue order, assigned under the write lock
    target             TEXT NOT NULL,             -- 'etims', 'quickbooks', test targets ...
    operation          TEXT NOT NULL,             -- e.g. 'saveTrnsSalesOsdc', 'invoice.create'
    payload            TEXT NOT NULL,             -- JSON, frozen at enqueue, never rewritten
    idempotency_key    TEXT NOT NULL,             -- QuickBooks requestid, e-TIMS device+invcNo ...
    ordering_key       TEXT,                      -- non-NULL: FIFO with one in flight per key
    state              TEXT NOT NULL,             -- ready | in_flight | done | dead
    attempts           INTEGER NOT NULL,          -- sends (and checks) started so far
    next_attempt_at    TEXT NOT NULL,             -- not before this instant
    check_first        BOOLEAN NOT NULL,          -- the last outcome is unknown: ask the target first
    last_error_kind    TEXT,                      -- retryable | permanent | unknown_outcome | ...
    last_error_message TEXT,
    remote_ref         TEXT,                      -- what the target called it (receipt no., Id)
    result             TEXT,                      -- the target's acknowledgement, JSON
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    done_at            TEXT,
    UNIQUE (target, idempotency_key)
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_order ON outbox (target, ordering_key, seq);

-- System notices for everyone who watches the sync queue (a dead outbox item, later: failed
-- backups). Per-person approval notices live in the approval engine's `notification` table.
-- Written in the same transaction as the event they announce; the UI lists unread ones.
CREATE TABLE system_notification (
    id          TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL,
    kind        TEXT NOT NULL,                    -- e.g. 'outbox.dead'
    severity    TEXT NOT NULL,                    -- info | warning | error
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    entity_type TEXT,
    entity_id   TEXT,
    read_at     TEXT
);
CREATE INDEX system_notification_unread ON system_notification (read_at, created_at);
