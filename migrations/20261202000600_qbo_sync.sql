-- QuickBooks Online sync (issue 18): the company's connection, the mirror of what was pulled,
-- the review list of differences a person must look at, the tax-code mapping, and the state of
-- each push-back. Written only by hesabu-app's `qbo` module (the ledger rows it maps into are
-- written by hesabu-core's `sales::synced`).
--
-- Portable SQL (see the first migration): TEXT ids and RFC 3339 UTC timestamps from the
-- application's clock, BIGINT counters, BOOLEAN, no AUTOINCREMENT, no triggers, no partial
-- indexes. Tokens and the client secret are never stored here: they are in the secret store
-- (the OS keyring) under '<company id>/qbo/...'.

-- One connection per company file (its key is the company's id).
CREATE TABLE qbo_connection (
    company_id         TEXT PRIMARY KEY REFERENCES company (id),
    mode               TEXT NOT NULL,             -- direct | paste | broker
    client_id          TEXT,                      -- direct: the Intuit app's client id (not secret)
    broker_url         TEXT,                      -- broker: where exchange/refresh/revoke go
    redirect_uri       TEXT NOT NULL,             -- exactly as registered with Intuit
    authorize_url      TEXT NOT NULL,
    token_url          TEXT NOT NULL,
    revoke_url         TEXT NOT NULL,
    api_base           TEXT NOT NULL,
    sandbox            BOOLEAN NOT NULL,          -- a sandbox company (labelled as such)
    realm_id           TEXT,                      -- NULL until connected
    pending_state      TEXT,                      -- the OAuth state of the attempt in progress
    cu_field           TEXT,                      -- DefinitionId (1-3) of the CU-number field; NULL: none
    pin_source         TEXT NOT NULL,             -- tax_id | field:<customer custom field name>
    connected_at       TEXT,
    connected_by       TEXT REFERENCES app_user (id),
    cdc_watermark      TEXT,                      -- RFC 3339 with offset: QuickBooks' time of the last committed pull
    last_full_sync_at  TEXT,
    last_pull_at       TEXT,
    last_error         TEXT,
    updated_at         TEXT NOT NULL
);

-- What was pulled, per QuickBooks object: the raw JSON kept beside the ledger's projection, the
-- SyncToken seen last (and the one our own write produced: echo suppression), a fingerprint of
-- the lines and totals (to tell a content change from a memo change), deletions marked.
CREATE TABLE qbo_object (
    realm_id       TEXT NOT NULL,
    entity         TEXT NOT NULL,                 -- Invoice | CreditMemo | SalesReceipt | Customer | Item | TaxCode | TaxRate
    qbo_id         TEXT NOT NULL,
    sync_token     TEXT,
    own_sync_token TEXT,                          -- the SyncToken our last write-back produced
    last_updated   TEXT,
    fingerprint    TEXT,
    raw_json       TEXT NOT NULL,
    deleted        BOOLEAN NOT NULL,
    local_id       TEXT,                          -- customer / item / sales_document id; NULL: not mapped
    pulled_at      TEXT NOT NULL,
    PRIMARY KEY (realm_id, entity, qbo_id)
);
CREATE INDEX qbo_object_local ON qbo_object (local_id);

-- What a person must decide: totals QuickBooks computed differently from the ledger, a signed
-- sale changed, voided or deleted in QuickBooks (a credit note is needed; never re-signed), a
-- pulled object that could not be mapped.
CREATE TABLE qbo_review (
    id           TEXT PRIMARY KEY,
    realm_id     TEXT NOT NULL,
    entity       TEXT NOT NULL,
    qbo_id       TEXT NOT NULL,
    document_id  TEXT REFERENCES sales_document (id),
    kind         TEXT NOT NULL,                   -- totals_differ | changed_after_signing | voided_after_signing | deleted_after_signing | changed_after_issue | not_imported
    detail       TEXT NOT NULL,
    sync_token   TEXT,
    created_at   TEXT NOT NULL,
    resolved_at  TEXT
);
CREATE INDEX qbo_review_open ON qbo_review (resolved_at, created_at);

-- QuickBooks tax codes and the KRA tax type (A-E) each maps to, per realm.
CREATE TABLE qbo_tax_map (
    realm_id     TEXT NOT NULL,
    tax_code_id  TEXT NOT NULL,
    name         TEXT NOT NULL,
    rate         TEXT,                            -- percent, as QuickBooks gave it
    kra_tax_type TEXT NOT NULL,
    PRIMARY KEY (realm_id, tax_code_id)
);

-- The push-back of one signed sale (spec §5.4): both requestids generated once and persisted
-- before the first attempt, the attachment's id once known, the sparse update in flight
-- (its base SyncToken and body, so a retry resends exactly it with the same requestid).
CREATE TABLE qbo_push (
    document_id        TEXT PRIMARY KEY REFERENCES sales_document (id),
    realm_id           TEXT NOT NULL,
    entity             TEXT NOT NULL,             -- Invoice | CreditMemo | SalesReceipt
    qbo_id             TEXT NOT NULL,
    file_name          TEXT NOT NULL,             -- deterministic: the dedupe check looks for it
    upload_request_id  TEXT NOT NULL,
    attachable_id      TEXT,
    pdf_sha256         TEXT,
    update_request_id  TEXT,
    update_base_token  TEXT,
    update_body        TEXT,
    state              TEXT NOT NULL,             -- pending | attached | done
    result_sync_token  TEXT,
    conflicts          BIGINT NOT NULL,           -- 5010s met and re-applied
    last_error         TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
