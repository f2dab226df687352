-- Budget control: budgets, their materialised balances, the immutable ledger of reserve / commit /
-- release / spend, per-document reservations, the check log and the import (sync) history.
--
-- Portable SQL as in the first migration: TEXT ids and RFC 3339 timestamps from the application's
-- clock, money as TEXT holding the canonical rust_decimal string (never REAL), BOOLEAN, BIGINT,
-- no AUTOINCREMENT, no triggers. Documents (purchase requests and the like) are referenced by a
-- TEXT id without a foreign key: the approval engine owns those tables.

CREATE TABLE budget (
    id                     TEXT PRIMARY KEY,
    department_id          TEXT NOT NULL REFERENCES department (id),
    category               TEXT NOT NULL DEFAULT '',   -- '' = any (keeps the unique key simple)
    project                TEXT NOT NULL DEFAULT '',   -- '' = none
    period                 TEXT NOT NULL,              -- canonical label: FY2026, 2026-Q1, 2026-03
    period_start           TEXT NOT NULL,              -- first day, YYYY-MM-DD
    period_end             TEXT NOT NULL,              -- day after the last day, YYYY-MM-DD
    amount                 TEXT NOT NULL,              -- budgeted amount, decimal text
    currency               TEXT NOT NULL,
    enforcement            TEXT NOT NULL,              -- HARD_BLOCK | SOFT_WARNING | ESCALATE
    auto_approve_threshold TEXT,                       -- decimal text; NULL = never auto-approve
    parent_id              TEXT REFERENCES budget (id),-- the annual budget this was phased from
    status                 TEXT NOT NULL,              -- active | archived (soft-deleted)
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL
);
CREATE UNIQUE INDEX budget_key ON budget (department_id, period, category, project);
CREATE INDEX budget_period ON budget (period_start, period_end);

-- One row per budget, moved in the same transaction as every ledger entry.
-- Invariant: amount = available + reserved + committed + spent.
CREATE TABLE budget_balance (
    budget_id  TEXT PRIMARY KEY REFERENCES budget (id),
    budgeted   TEXT NOT NULL,
    available  TEXT NOT NULL,
    reserved   TEXT NOT NULL,
    committed  TEXT NOT NULL,
    spent      TEXT NOT NULL,
    entries    BIGINT NOT NULL,   -- ledger entries so far; the next entry's seq is entries + 1
    updated_at TEXT NOT NULL
);

-- What one document holds on one budget. Mutable state derived from (and always moved together
-- with) the ledger; `reserved_by` decides who may release it as "their own".
CREATE TABLE budget_reservation (
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
);
CREATE INDEX budget_reservation_request ON budget_reservation (budget_id, request_id);

-- Append-only. Never updated or deleted.
CREATE TABLE budget_ledger (
    id             TEXT PRIMARY KEY,
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
    at             TEXT NOT NULL
);
CREATE UNIQUE INDEX budget_ledger_seq ON budget_ledger (budget_id, seq);
CREATE INDEX budget_ledger_request ON budget_ledger (request_id);

-- Every budget check with its full response.
CREATE TABLE budget_check_log (
    id               TEXT PRIMARY KEY,
    checked_at       TEXT NOT NULL,
    request_id       TEXT,
    user_id          TEXT,
    user_email       TEXT NOT NULL,
    department       TEXT NOT NULL,
    period           TEXT NOT NULL,
    amount           TEXT NOT NULL,
    vendor           TEXT,
    purpose          TEXT,
    budget_id        TEXT REFERENCES budget (id),
    available        BOOLEAN NOT NULL,
    can_auto_approve BOOLEAN NOT NULL,
    reason           TEXT NOT NULL,
    response_json    TEXT NOT NULL
);
CREATE INDEX budget_check_log_at ON budget_check_log (checked_at);

-- One row per import run, including failed ones.
CREATE TABLE budget_sync_run (
    id           TEXT PRIMARY KEY,
    run_no       BIGINT NOT NULL UNIQUE,  -- 1, 2, 3 … under the write lock: runs in order
    started_at   TEXT NOT NULL,
    finished_at  TEXT NOT NULL,
    duration_ms  BIGINT NOT NULL,
    source       TEXT NOT NULL,
    format       TEXT NOT NULL,       -- csv | xlsx
    status       TEXT NOT NULL,       -- ok | partial | failed
    rows_read    BIGINT NOT NULL,
    created      BIGINT NOT NULL,
    updated      BIGINT NOT NULL,
    unchanged    BIGINT NOT NULL,
    soft_deleted BIGINT NOT NULL,
    skipped      BIGINT NOT NULL,
    errors_json  TEXT NOT NULL,       -- [{"line": 3, "message": "..."}]
    actor_email  TEXT NOT NULL
);
