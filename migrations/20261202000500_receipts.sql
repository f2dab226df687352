-- ETR receipts (issue 17): the original receipt of each KRA-signed sales document as it was
-- first rendered, every print of a receipt, and the company's receipt settings. Written only by
-- hesabu-app's `receipts` module, inside audited units of work.
--
-- Portable SQL (see the first migration): TEXT ids and RFC 3339 UTC timestamps from the
-- application's clock, BIGINT counters, no AUTOINCREMENT, no triggers, no partial indexes. The
-- one SQLite-specific word is BLOB (the PDF bytes); a PostgreSQL port maps it to BYTEA.

-- One row per signed sales document, written the first time its receipt is rendered (or at
-- signing, when the fiscal flow calls `receipts::store_original_in`), never changed afterwards.
-- snapshot_json is the renderer's whole input (seller, buyer, lines, totals, KRA's signature),
-- so every later rendering, copy or reprint comes from this row and never from a second call to
-- KRA or from settings changed since.
CREATE TABLE receipt (
    document_id      TEXT PRIMARY KEY REFERENCES sales_document (id),
    submission_id    TEXT NOT NULL REFERENCES fiscal_submission (id),
    snapshot_json    TEXT NOT NULL,
    snapshot_sha256  TEXT NOT NULL,             -- hex SHA-256 of snapshot_json
    renderer_version TEXT NOT NULL,             -- hesabu-receipts' version that rendered it
    stored_at        TEXT NOT NULL,
    stored_by        TEXT REFERENCES app_user (id)  -- NULL: the system (the fiscal flow at signing)
);

-- The original (not COPY) PDF of each format, as rendered from the snapshot when it was stored.
-- The bytes are kept, not only their hash: rendering is deterministic within a build, but the
-- compressed streams may differ between builds (hesabu-receipts' lib.rs), and the receipt shown
-- in five years must be the one printed at signing.
CREATE TABLE receipt_original (
    document_id TEXT NOT NULL REFERENCES receipt (document_id),
    format      TEXT NOT NULL,                  -- 80mm | 58mm | a4
    pdf         BLOB NOT NULL,
    sha256      TEXT NOT NULL,                  -- hex SHA-256 of pdf
    size_bytes  BIGINT NOT NULL,
    rendered_at TEXT NOT NULL,
    PRIMARY KEY (document_id, format)
);

-- Every print of a receipt, successful or not, one audit entry each. kind: original (the first
-- successful print of a signed receipt), copy (every later one: marked COPY, labels CS/CC,
-- copy_number 1, 2, ... in the order they were recorded), provisional (a document KRA has not
-- signed: THIS IS NOT AN OFFICIAL RECEIPT). error NULL: it printed (for CUPS: the job was
-- queued). A failed print takes no copy number and leaves the original unprinted.
CREATE TABLE receipt_print (
    id             TEXT PRIMARY KEY,
    document_id    TEXT NOT NULL REFERENCES sales_document (id),
    seq            BIGINT NOT NULL,             -- 1, 2, ...: the document's prints in order
    format         TEXT NOT NULL,               -- 80mm | 58mm | a4
    kind           TEXT NOT NULL,               -- original | copy | provisional
    copy_number    BIGINT,
    destination    TEXT NOT NULL,               -- file:PATH | cups:NAME | network:HOST:PORT
    job_id         TEXT,                        -- CUPS's job id
    content_sha256 TEXT,                        -- hex SHA-256 of the bytes sent or saved
    size_bytes     BIGINT,
    printed_at     TEXT NOT NULL,
    printed_by     TEXT NOT NULL REFERENCES app_user (id),
    error_kind     TEXT,                        -- paper_out, unreachable, no_such_printer, ...
    error          TEXT
);
CREATE UNIQUE INDEX receipt_print_document ON receipt_print (document_id, seq);

-- The company's receipt settings (one row, keyed by the company's id; absent: the defaults).
-- Printers are written as cups:NAME or network:HOST:PORT.
CREATE TABLE receipt_settings (
    company_id     TEXT PRIMARY KEY REFERENCES company (id),
    top_message    TEXT,
    bottom_message TEXT,
    default_format TEXT NOT NULL,               -- 80mm | 58mm | a4
    printer_80mm   TEXT,
    printer_58mm   TEXT,
    printer_a4     TEXT,
    updated_at     TEXT NOT NULL,
    updated_by     TEXT NOT NULL REFERENCES app_user (id)
);
