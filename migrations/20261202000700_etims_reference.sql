-- KRA e-TIMS reference data and master-data registration (issue 16; spec §6, §7, §8, §9, §14).
-- Written only by hesabu-app's etims::reference (the reference cache) and etims::masters (PIN
-- look-ups, registration of customers and items, the device's master-data settings).
--
-- Portable SQL (see the first migration): TEXT ids and RFC 3339 UTC timestamps from the
-- application's clock, BIGINT, no AUTOINCREMENT, no triggers, no partial indexes. Upserts use
-- INSERT ... ON CONFLICT, which SQLite and PostgreSQL both read.

-- KRA's code lists (selectCodeList), one row per class and one per code. source: 'kra' (pulled
-- from KRA) or 'snapshot' (the bundled snapshot, loaded when nothing was pulled yet; replaced by
-- KRA's values at the first full pull).
CREATE TABLE etims_code_class (
    cd_cls       TEXT PRIMARY KEY,       -- '04' tax type, '10' quantity unit, ...
    cd_cls_nm    TEXT,
    cd_cls_desc  TEXT,
    use_yn       TEXT,
    user_dfn_nm1 TEXT,
    user_dfn_nm2 TEXT,
    user_dfn_nm3 TEXT,
    source       TEXT NOT NULL,          -- kra | snapshot
    updated_at   TEXT NOT NULL
);

CREATE TABLE etims_code (
    cd_cls       TEXT NOT NULL REFERENCES etims_code_class (cd_cls),
    cd           TEXT NOT NULL,
    cd_nm        TEXT,
    cd_desc      TEXT,
    use_yn       TEXT,                   -- 'N': withdrawn by KRA (kept, never deleted)
    srt_ord      BIGINT,
    user_dfn_cd1 TEXT,                   -- class 04: the rate ("16")
    user_dfn_cd2 TEXT,                   -- class 04: the label ("B-16%")
    user_dfn_cd3 TEXT,
    source       TEXT NOT NULL,          -- kra | snapshot
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (cd_cls, cd)
);

-- KRA's item classifications (selectItemClsList). Only ever from KRA: the bundled snapshot has
-- none (the spec gives no table of them).
CREATE TABLE etims_item_class (
    item_cls_cd  TEXT PRIMARY KEY,       -- 8 or 10 digits
    item_cls_nm  TEXT,
    item_cls_lvl BIGINT,
    tax_ty_cd    TEXT,                   -- the tax type KRA expects for the class, often NULL
    mjr_tg_yn    TEXT,
    use_yn       TEXT,
    updated_at   TEXT NOT NULL
);

-- KRA's notices (selectNoticeList).
CREATE TABLE etims_notice (
    notice_no    BIGINT PRIMARY KEY,
    title        TEXT,
    cont         TEXT,
    dtl_url      TEXT,
    regr_nm      TEXT,
    reg_dt       TEXT,                   -- yyyyMMddHHmmss, as KRA sent it
    received_at  TEXT NOT NULL
);
CREATE INDEX etims_notice_received ON etims_notice (received_at);

-- One row per reference list: 'code_list', 'item_classes', 'notices'. last_req_dt is KRA's
-- resultDt of the last successful pull, sent as lastReqDt on the next (spec §4: KRA's time, not
-- ours, so clock skew loses nothing); NULL: never pulled from KRA.
CREATE TABLE etims_reference_sync (
    list          TEXT PRIMARY KEY,
    last_req_dt   TEXT,
    snapshot_of   TEXT,                  -- the bundled snapshot's date, when it was loaded
    refreshed_at  TEXT,                  -- our clock, at the last successful pull
    last_error    TEXT,                  -- the last failed pull's message (NULL after a success)
    updated_at    TEXT NOT NULL
);

-- The device's master-data settings (one device per company file: keyed by the company).
-- pin_check: 'strict' blocks a sale or registration to a PIN KRA does not know or lists as
-- inactive; 'lenient' warns. No row: strict.
CREATE TABLE etims_master_settings (
    company_id  TEXT PRIMARY KEY REFERENCES company (id),
    pin_check   TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- The last KRA look-up of each PIN (selectCustomer / customerPinInfo). result: active | inactive
-- | not_found.
CREATE TABLE etims_pin_check (
    pin            TEXT PRIMARY KEY,
    result         TEXT NOT NULL,
    taxpayer_name  TEXT,
    status_cd      TEXT,                 -- taxprSttsCd as KRA sent it (A / D)
    result_cd      TEXT NOT NULL,
    result_msg     TEXT,
    response_json  TEXT,
    checked_at     TEXT NOT NULL
);

-- Registration of a customer (saveBhfCustomer) or an item (saveItem) with KRA. kra_code is the
-- custNo or itemCd sent; an item's never changes once registered. fingerprint: SHA-256 of what
-- was last registered (the request without who sent it), so an unchanged entity is not sent
-- again. The entity's own etims_state column (unregistered | registered | failed) is kept in step.
CREATE TABLE etims_registration (
    entity_type    TEXT NOT NULL,        -- customer | item
    entity_id      TEXT NOT NULL,
    state          TEXT NOT NULL,        -- registered | failed
    kra_code       TEXT NOT NULL,
    request_json   TEXT,                 -- the last request sent
    fingerprint    TEXT,                 -- of the last request KRA accepted
    result_cd      TEXT,
    result_msg     TEXT,                 -- KRA's message verbatim, or what blocked it here
    warning        TEXT,                 -- e.g. a lenient PIN check's
    attempts       BIGINT NOT NULL,
    registered_at  TEXT,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (entity_type, entity_id)
);
