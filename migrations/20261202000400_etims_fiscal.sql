-- KRA e-TIMS fiscal flow (issue 16): the company's OSCU device and one fiscal submission per
-- sales document (spec §3, §5.5, §11.3, §11.4). Written only by hesabu-core's sales::fiscal.
--
-- Portable SQL (see the first migration): TEXT ids and RFC 3339 UTC timestamps from the
-- application's clock, BIGINT counters, no AUTOINCREMENT, no triggers, no partial indexes.
-- A UNIQUE index allows many NULLs in SQLite and PostgreSQL alike, which a released invcNo needs.

-- The device of this company file (one per company file: its key is the company's id). The
-- communication key (cmcKey) and the integrator's consumer secret are never stored here: they
-- are in the secret store (the OS keyring), under '<company id>/etims/...'.
CREATE TABLE etims_device (
    company_id       TEXT PRIMARY KEY REFERENCES company (id),
    gateway          TEXT NOT NULL,             -- legacy | integrator
    base_url         TEXT NOT NULL,
    token_url        TEXT,                      -- integrator: the OAuth token URL
    consumer_key     TEXT,                      -- integrator: the consumer key (not secret)
    tin              TEXT NOT NULL,             -- the taxpayer's KRA PIN
    bhf_id           TEXT NOT NULL,             -- KRA's branch id for this device
    dvc_srl_no       TEXT NOT NULL,             -- the serial declared on the eTIMS portal
    dvc_id           TEXT,                      -- from initialisation
    sdc_id           TEXT,                      -- the SCU id printed on every receipt
    mrc_no           TEXT,
    taxpayer_name    TEXT,
    branch_name      TEXT,
    init_info        TEXT,                      -- data.info as KRA answered, cmcKey removed (JSON)
    key_source       TEXT NOT NULL,             -- init (KRA issued it to us) | entered (pasted)
    initialised_at   TEXT NOT NULL,
    initialised_by   TEXT REFERENCES app_user (id),  -- NULL: the system (the demo's seeding)
    last_invc_no     BIGINT NOT NULL,           -- the sales counter: the last invcNo used, 0 none
    unused_band_rate TEXT NOT NULL,             -- zero | code_list_rate (spec §12.2)
    price_basis      TEXT NOT NULL,             -- exclusive | inclusive: what the gateway checks
    updated_at       TEXT NOT NULL
);

-- One row per sales document sent (or being sent) to KRA. state:
--   reserved  invc_no taken and request_json frozen, the call not known to have been answered
--   unknown   sent, no answer (timeout, dropped connection): looked up at KRA before any resend
--   signed    KRA signed it: the signature fields are filled and the row never changes again
--   rejected  KRA refused it (result_cd / result_msg verbatim); the number was released when no
--             later number had been used (released_invc_no keeps it for the record)
CREATE TABLE fiscal_submission (
    id               TEXT PRIMARY KEY,
    document_id      TEXT NOT NULL UNIQUE REFERENCES sales_document (id),
    state            TEXT NOT NULL,
    tin              TEXT NOT NULL,             -- the device the number belongs to
    bhf_id           TEXT NOT NULL,
    invc_no          BIGINT,                    -- NULL once released
    released_invc_no BIGINT,
    org_invc_no      BIGINT NOT NULL,           -- 0 for a sale; the original's invcNo for R
    rcpt_ty_cd       TEXT NOT NULL,             -- S | R
    request_json     TEXT NOT NULL,             -- the exact JSON sent, frozen before the call
    response_json    TEXT,                      -- the raw answer (or lookup) last received
    cur_rcpt_no      BIGINT,
    tot_rcpt_no      BIGINT,
    intrl_data       TEXT,
    rcpt_sign        TEXT,
    sdc_date_time    TEXT,                      -- raw, as KRA sent it
    sdc_id           TEXT,                      -- snapshot of the device at signing
    mrc_no           TEXT,
    cfm_dt           TEXT NOT NULL,             -- yyyyMMddHHmmss as sent
    result_cd        TEXT,
    result_msg       TEXT,
    adopted          BOOLEAN NOT NULL,          -- signed by a lookup (timeout, 994), not an answer
    attempts         BIGINT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    last_attempt_at  TEXT,
    signed_at        TEXT
);
CREATE UNIQUE INDEX fiscal_submission_number ON fiscal_submission (tin, bhf_id, invc_no);
CREATE INDEX fiscal_submission_state ON fiscal_submission (state);
