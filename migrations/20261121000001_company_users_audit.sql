-- Walking skeleton: company settings, departments, users, audit log.
--
-- Portable SQL (SQLite now, PostgreSQL later): ids are UUID v7 text, timestamps are RFC 3339 UTC
-- text written by the application's clock, booleans are BOOLEAN, no AUTOINCREMENT, no triggers.
-- Migrations are append-only: sqlx records a checksum of every applied file and refuses to open a
-- company file whose applied migration was later edited. Add a new file instead.

CREATE TABLE company (
    id                      TEXT PRIMARY KEY,
    legal_name              TEXT NOT NULL,
    trading_name            TEXT,
    kra_pin                 TEXT NOT NULL,
    branch_id               TEXT NOT NULL DEFAULT '00',
    address                 TEXT,
    base_currency           TEXT NOT NULL DEFAULT 'KES',
    fiscal_year_start_month INTEGER NOT NULL DEFAULT 1,
    time_zone               TEXT NOT NULL DEFAULT 'Africa/Nairobi',
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL
);

-- One row, bumped by every unit of work as its first statement. Writing it first takes SQLite's
-- write lock before anything is read (the portable equivalent of BEGIN IMMEDIATE), so read-then-
-- write sequences such as the audit hash chain or a budget reservation cannot interleave.
CREATE TABLE write_generation (
    id         INTEGER PRIMARY KEY,
    generation BIGINT NOT NULL
);
INSERT INTO write_generation (id, generation) VALUES (1, 0);

CREATE TABLE department (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL UNIQUE,   -- lower-cased name: names are unique ignoring case
    active      BOOLEAN NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE app_user (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,   -- stored lower-cased
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    manager_id    TEXT REFERENCES app_user (id),
    department_id TEXT REFERENCES department (id),
    active        BOOLEAN NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX app_user_manager ON app_user (manager_id);
CREATE INDEX app_user_department ON app_user (department_id);

-- Append-only, hash-chained: hash = sha256(prev_hash || canonical entry). Only audit.rs writes it.
CREATE TABLE audit_log (
    seq          BIGINT PRIMARY KEY,      -- 1, 2, 3 … assigned under the write lock
    id           TEXT NOT NULL UNIQUE,
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
CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id);

-- The chain's head, moved in the same transaction as every append. A chain alone cannot notice
-- its newest entries being deleted; comparing the last entry with this row can.
CREATE TABLE audit_head (
    id        INTEGER PRIMARY KEY,
    last_seq  BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_seq, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
