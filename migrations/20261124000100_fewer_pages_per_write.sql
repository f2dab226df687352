-- Fewer b-trees per write. A commit writes every page it dirtied to the WAL and fsyncs it, and
-- each table or index a write touches is at least one more page (measured: ~6 µs a page on the
-- reference machine, docs/benchmarks.md). Three tables that every reservation (and, for the
-- audit log, every business write) appends to kept one b-tree more than they need:
--
-- * audit_log: `seq BIGINT PRIMARY KEY` is not SQLite's rowid (only `INTEGER PRIMARY KEY` is),
--   so the table carried a hidden rowid plus a separate index on seq. Now seq IS the rowid.
-- * budget_reservation and budget_ledger: a TEXT primary key on a rowid table is a table plus
--   an index. As WITHOUT ROWID tables the primary key is the table. The ledger is keyed by
--   (budget_id, seq), the order it is read in.
-- * The `id` of an audit entry and of a ledger entry is no longer backed by a UNIQUE index.
--   Their identity is their sequence (audit_log.seq; budget_ledger's (budget_id, seq)), which
--   stays enforced; the id is an opaque label minted by the app (UUIDv7, unique by
--   construction), returned to callers and never looked up, and the audit hash chain covers
--   it, so a duplicate could not be slipped in afterwards without breaking the chain. The
--   index cost one more page on every audited write and every ledger entry and served no
--   query. Should a lookup by id ever be needed, an index can be added then.
--
-- Rows are copied verbatim (the audit hash chain covers values, not storage, and verifies
-- unchanged). Order matters for the foreign key budget_ledger.reservation_id: the ledger is
-- parked in a plain copy, both old tables dropped (child first), the reservation table renamed
-- into place, and only then the ledger rebuilt referencing it.

CREATE TABLE audit_log_rebuilt (
    seq          INTEGER PRIMARY KEY,     -- 1, 2, 3 … assigned under the write lock; the rowid
    id           TEXT NOT NULL,            -- UUIDv7 minted by the app (see above)
    at           TEXT NOT NULL,
    actor_id     TEXT,                     -- NULL for the system (scheduled jobs, migrations)
    actor_email  TEXT NOT NULL,
    action       TEXT NOT NULL,
    entity_type  TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    before_json  TEXT,
    after_json   TEXT,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
INSERT INTO audit_log_rebuilt
    (seq, id, at, actor_id, actor_email, action, entity_type, entity_id, before_json, after_json,
     prev_hash, hash)
SELECT seq, id, at, actor_id, actor_email, action, entity_type, entity_id, before_json, after_json,
       prev_hash, hash
FROM audit_log ORDER BY seq;
DROP TABLE audit_log;
ALTER TABLE audit_log_rebuilt RENAME TO audit_log;
CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id);

CREATE TABLE budget_ledger_parked AS SELECT * FROM budget_ledger;

CREATE TABLE budget_reservation_rebuilt (
    id                TEXT PRIMARY KEY,
    budget_id         TEXT NOT NULL REFERENCES budget (id),
    request_id        TEXT NOT NULL,
    reserved_by_id    TEXT REFERENCES app_user (id),
    reserved_by_email TEXT NOT NULL,
    held              TEXT NOT NULL,   -- still reserved
    committed         TEXT NOT NULL,   -- committed, not yet spent
    spent             TEXT NOT NULL,
    released          TEXT NOT NULL,
    status            TEXT NOT NULL,   -- open | closed
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO budget_reservation_rebuilt
    (id, budget_id, request_id, reserved_by_id, reserved_by_email, held, committed, spent,
     released, status, created_at, updated_at)
SELECT id, budget_id, request_id, reserved_by_id, reserved_by_email, held, committed, spent,
       released, status, created_at, updated_at
FROM budget_reservation;

DROP TABLE budget_ledger;
DROP TABLE budget_reservation;
ALTER TABLE budget_reservation_rebuilt RENAME TO budget_reservation;
CREATE INDEX budget_reservation_request ON budget_reservation (budget_id, request_id);

-- Append-only. Never updated or deleted.
CREATE TABLE budget_ledger (
    id             TEXT NOT NULL,        -- UUIDv7 minted by the app (see above)
    budget_id      TEXT NOT NULL REFERENCES budget (id),
    seq            BIGINT NOT NULL,      -- 1, 2, 3 … per budget, assigned under the write lock
    kind           TEXT NOT NULL,        -- budget | adjust | reserve | commit | release | spend
    request_id     TEXT,                 -- the document (no FK: owned by the approval engine)
    reservation_id TEXT REFERENCES budget_reservation (id),
    action         TEXT,                 -- release: reject | cancel | return
    amount         TEXT NOT NULL,        -- always >= 0 except for adjust
    is_override    BOOLEAN NOT NULL,     -- over-budget commit approved by finance
    reason         TEXT,
    available_after TEXT NOT NULL,
    actor_id       TEXT,
    actor_email    TEXT NOT NULL,
    at             TEXT NOT NULL,
    PRIMARY KEY (budget_id, seq)
) WITHOUT ROWID;
INSERT INTO budget_ledger
    (id, budget_id, seq, kind, request_id, reservation_id, action, amount, is_override, reason,
     available_after, actor_id, actor_email, at)
SELECT id, budget_id, seq, kind, request_id, reservation_id, action, amount, is_override, reason,
       available_after, actor_id, actor_email, at
FROM budget_ledger_parked;
DROP TABLE budget_ledger_parked;
CREATE INDEX budget_ledger_request ON budget_ledger (request_id);
