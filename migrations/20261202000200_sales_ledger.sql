-- The sales ledger (issue 13): customers, items, sales documents (invoices, credit notes, cash
-- sales) and their lines, and the gap-free number sequences they are issued under.
--
-- Portable SQL (see the first migration): TEXT ids and RFC 3339 UTC timestamps from the
-- application's clock, money as canonical decimal TEXT (read through `DecimalText`), BOOLEAN,
-- BIGINT, no AUTOINCREMENT, no triggers, no partial indexes. A UNIQUE index allows many NULLs in
-- both SQLite and PostgreSQL, which is what an optional KRA PIN or QuickBooks id needs.

-- How the company prices its sales: 'exclusive' (prices before VAT, the accountant's usual
-- invoice) or 'inclusive' (shelf prices with VAT in them); a document may override it.
-- sales_approval_above: issuing a sale whose KES total is above this goes through approval
-- (NULL: only when a business rule says so).
ALTER TABLE company ADD COLUMN sales_price_basis TEXT NOT NULL DEFAULT 'exclusive';
ALTER TABLE company ADD COLUMN sales_approval_above TEXT;

CREATE TABLE customer (
    id             TEXT PRIMARY KEY,
    number         TEXT NOT NULL UNIQUE,      -- C-00001: our customer number (e-TIMS custNo ≤ 9)
    name           TEXT NOT NULL,
    name_key       TEXT NOT NULL,             -- lower-cased, trimmed: search and duplicate hints
    kra_pin        TEXT UNIQUE,               -- normalised (trimmed, upper case); NULL: none
    customer_type  TEXT NOT NULL,             -- b2b | b2c
    email          TEXT,
    mobile         TEXT,
    address        TEXT,
    credit_limit   TEXT,                      -- KES; NULL: no limit
    active         BOOLEAN NOT NULL,
    qbo_id         TEXT UNIQUE,               -- QuickBooks Online Customer.Id
    qbo_sync_token TEXT,
    etims_state    TEXT NOT NULL,             -- unregistered | registered | failed
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX customer_name ON customer (name_key);

CREATE TABLE item (
    id                  TEXT PRIMARY KEY,
    code                TEXT NOT NULL UNIQUE,  -- our code (SKU)
    name                TEXT NOT NULL,
    name_key            TEXT NOT NULL,
    classification_code TEXT,                  -- KRA item classification (itemClsCd)
    packaging_unit      TEXT NOT NULL,         -- KRA code class 17 (pkgUnitCd)
    quantity_unit       TEXT NOT NULL,         -- KRA code class 10 (qtyUnitCd)
    tax_type            TEXT NOT NULL,         -- A..E
    product_type        TEXT NOT NULL,         -- raw_material | finished_good | service
    origin_country      TEXT NOT NULL,         -- ISO 3166 alpha-2 (orgnNatCd)
    unit_price          TEXT NOT NULL,
    barcode             TEXT,
    service_level       TEXT,                  -- free text, e.g. 'standard', 'premium'
    active              BOOLEAN NOT NULL,
    kra_item_code       TEXT NOT NULL UNIQUE,  -- itemCd (spec §7.1): assigned once, never changed
    qbo_id              TEXT UNIQUE,
    qbo_sync_token      TEXT,
    etims_state         TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX item_name ON item (name_key);

-- Gap-free counters: one row per sequence ('invoice', 'credit_note', 'cash_sale', 'customer',
-- 'kra_item_code'). A number is taken by incrementing the row inside the unit of work that
-- issues the document, under the write lock, so a rolled-back issue takes no number.
CREATE TABLE number_sequence (
    name        TEXT PRIMARY KEY,
    last_number BIGINT NOT NULL
);

CREATE TABLE sales_document (
    id              TEXT PRIMARY KEY,
    doc_type        TEXT NOT NULL,             -- invoice | credit_note | cash_sale
    status          TEXT NOT NULL,             -- draft | pending_approval | issued | fiscalised | void
    sequence_number BIGINT,                    -- per type, from number_sequence; NULL while draft
    number          TEXT UNIQUE,               -- INV-000001 / CN-000001 / CS-000001; NULL while draft
    customer_id     TEXT REFERENCES customer (id),  -- NULL: walk-in
    customer_name   TEXT NOT NULL,             -- as printed (copied from the customer at issue)
    customer_pin    TEXT,                      -- as printed; a credit note carries the original's
    issue_date      TEXT NOT NULL,             -- yyyy-mm-dd
    due_date        TEXT,
    currency        TEXT NOT NULL,
    exchange_rate   TEXT NOT NULL,             -- KES per unit of currency; 1 for KES
    price_basis     TEXT NOT NULL,             -- inclusive | exclusive
    payment_method  TEXT,                      -- cash | mpesa | bank | card | cheque | credit | other
    amount_paid     TEXT NOT NULL,
    notes           TEXT,
    original_id     TEXT REFERENCES sales_document (id),  -- credit note: the invoice it corrects
    reason_code     TEXT,                      -- credit note: KRA code class 32
    total_taxable   TEXT NOT NULL,             -- document currency
    total_tax       TEXT NOT NULL,
    total           TEXT NOT NULL,
    total_kes       TEXT NOT NULL,             -- the KES total (from KES-converted lines)
    created_by      TEXT NOT NULL REFERENCES app_user (id),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    issued_by       TEXT REFERENCES app_user (id),
    issued_at       TEXT,
    fiscalised_at   TEXT,
    voided_by       TEXT REFERENCES app_user (id),
    voided_at       TEXT,
    void_reason     TEXT,
    qbo_id          TEXT,
    qbo_sync_token  TEXT,
    UNIQUE (doc_type, sequence_number)
);
-- The invoice list: newest first within a type, and by customer.
CREATE INDEX sales_document_list ON sales_document (doc_type, created_at);
CREATE INDEX sales_document_recent ON sales_document (created_at);
CREATE INDEX sales_document_customer ON sales_document (customer_id, created_at);
CREATE INDEX sales_document_original ON sales_document (original_id);

CREATE TABLE sales_line (
    id               TEXT PRIMARY KEY,
    document_id      TEXT NOT NULL REFERENCES sales_document (id),
    position         BIGINT NOT NULL,
    item_id          TEXT REFERENCES item (id),
    original_line_id TEXT REFERENCES sales_line (id),  -- credit note: the invoice line it credits
    description      TEXT NOT NULL,
    quantity         TEXT NOT NULL,
    unit_price       TEXT NOT NULL,
    discount_kind    TEXT NOT NULL,           -- none | percent | amount
    discount_value   TEXT NOT NULL,
    tax_type         TEXT NOT NULL,           -- A..E
    tax_rate         TEXT NOT NULL,           -- percent, from the rate table at the time
    supply_amount    TEXT NOT NULL,           -- computed by sales::tax, rounded to 2 dp
    discount_amount  TEXT NOT NULL,
    taxable_amount   TEXT NOT NULL,
    tax_amount       TEXT NOT NULL,
    total_amount     TEXT NOT NULL,
    UNIQUE (document_id, position)
);
CREATE INDEX sales_line_original ON sales_line (original_line_id);
