-- What KRA keeps for this company's e-TIMS device, cached in the company file, and the branch
-- users registered with KRA (issue 16; spec §4 rows 6, 8, 11, 13, 17, 23, 24). Written only by
-- hesabu-app's etims::kra_records.
--
-- Portable SQL (see the first migration): TEXT ids and RFC 3339 UTC timestamps from the
-- application's clock, BIGINT, no AUTOINCREMENT, no triggers, no partial indexes. Upserts use
-- INSERT ... ON CONFLICT, which SQLite and PostgreSQL both read. Amounts are exact decimal TEXT.
-- Every record also keeps KRA's JSON as received (record_json): several of these answers have
-- no documented shape (spec §17.11).

-- One row per list: 'branches', 'items', 'imports', 'sales', 'customers', 'taxpayer'.
-- last_req_dt is KRA's resultDt of the last successful pull, sent as lastReqDt on the next (NULL:
-- never pulled). full_since_at: our clock at the first pull from the start (2018), from which the
-- cache holds everything KRA lists. reconciliation: the sales list's last findings (a
-- fingerprint), so a sync notice is raised only when they change.
CREATE TABLE etims_kra_sync (
    list            TEXT PRIMARY KEY,
    last_req_dt     TEXT,
    refreshed_at    TEXT,
    full_since_at   TEXT,
    last_error      TEXT,
    reconciliation  TEXT,
    updated_at      TEXT NOT NULL
);

-- The taxpayer's branches (selectBhfList).
CREATE TABLE etims_kra_branch (
    bhf_id       TEXT PRIMARY KEY,
    bhf_nm       TEXT,
    bhf_stts_cd  TEXT,                      -- class 09: 01 open, 02 closed
    hq_yn        TEXT,
    prvnc_nm     TEXT,
    dstrt_nm     TEXT,
    sctr_nm      TEXT,
    loc_desc     TEXT,
    mgr_nm       TEXT,
    mgr_tel_no   TEXT,
    mgr_email    TEXT,
    record_json  TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

-- The items registered at KRA (selectItemList), ours or changed by KRA (rraModYn).
CREATE TABLE etims_kra_item (
    item_cd      TEXT PRIMARY KEY,
    item_nm      TEXT,
    item_cls_cd  TEXT,
    item_ty_cd   TEXT,
    tax_ty_cd    TEXT,
    pkg_unit_cd  TEXT,
    qty_unit_cd  TEXT,
    dft_prc      TEXT,
    reg_bhf_id   TEXT,
    record_json  TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

-- Items customs declared as imported by the taxpayer (selectImportItemList).
CREATE TABLE etims_kra_import_item (
    task_cd            TEXT NOT NULL,
    dcl_de             TEXT NOT NULL,
    item_seq           BIGINT NOT NULL,
    dcl_no             TEXT,
    hs_cd              TEXT,
    item_nm            TEXT,
    impt_item_stts_cd  TEXT,                -- class 26: 2 waiting, 3 approved, 4 cancelled
    qty                TEXT,
    qty_unit_cd        TEXT,
    spplr_nm           TEXT,
    item_cd            TEXT,                -- once accepted
    record_json        TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    PRIMARY KEY (task_cd, dcl_de, item_seq)
);

-- KRA's record of our signed sales and credit notes (selectTrnsSalesList), compared with the
-- local fiscal_submission rows.
CREATE TABLE etims_kra_sale (
    invc_no      BIGINT PRIMARY KEY,
    org_invc_no  BIGINT,
    trd_invc_no  TEXT,
    rcpt_ty_cd   TEXT,
    cust_tin     TEXT,
    cust_nm      TEXT,
    sales_dt     TEXT,
    cfm_dt       TEXT,
    tot_amt      TEXT,
    tot_tax_amt  TEXT,
    cur_rcpt_no  BIGINT,
    record_json  TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

-- The branch's customers as KRA lists them (selectCustomerList).
CREATE TABLE etims_kra_customer (
    cust_no      TEXT PRIMARY KEY,
    cust_tin     TEXT,
    cust_nm      TEXT,
    use_yn       TEXT,
    record_json  TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

-- The taxpayer as KRA registered it (selectTaxpayerInfo).
CREATE TABLE etims_kra_taxpayer (
    tin            TEXT PRIMARY KEY,
    taxpr_nm       TEXT,
    taxpr_stts_cd  TEXT,                    -- class 15: A active, D inactive
    prvnc_nm       TEXT,
    dstrt_nm       TEXT,
    sctr_nm        TEXT,
    loc_desc       TEXT,
    record_json    TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

-- The company's users registered as branch users (saveBhfUser) through the outbox.
-- queued_fingerprint: SHA-256 of what was last queued (name, role, active); version counts the
-- queuings (the outbox idempotency key is bhf_user:<kra_user_id>:<version>). fingerprint: of
-- what KRA last accepted. state: queued | registered | failed.
CREATE TABLE etims_branch_user (
    user_id             TEXT PRIMARY KEY REFERENCES app_user (id),
    kra_user_id         TEXT NOT NULL,
    state               TEXT NOT NULL,
    version             BIGINT NOT NULL,
    queued_fingerprint  TEXT NOT NULL,
    fingerprint         TEXT,
    request_json        TEXT,               -- the last request sent, without the password
    result_cd           TEXT,
    result_msg          TEXT,
    registered_at       TEXT,
    updated_at          TEXT NOT NULL
);
