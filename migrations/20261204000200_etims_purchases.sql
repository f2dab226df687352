-- KRA e-TIMS purchases (issue 16; spec §4 rows 18-19, §10; go-live cases 15, 16): the sales
-- suppliers declared against the company's PIN (selectTrnsPurchaseSalesList), kept verbatim,
-- reviewed by a person (each supplier line mapped to one of the company's items) and answered
-- to KRA (insertTrnsPurchase) through the outbox with the device's own purchase counter.
-- Written only by hesabu-app's etims::purchases. The list's resultDt watermark is the row
-- 'purchases' of etims_kra_sync.
--
-- Portable SQL (see the first migration): TEXT ids and RFC 3339 UTC timestamps from the
-- application's clock, exact decimals as TEXT, BIGINT, no AUTOINCREMENT, no triggers, no
-- partial indexes.

-- One supplier's sale to us, stored once: the key is the supplier's PIN, branch and invcNo.
-- The spplr_* columns, the band totals and record_json are KRA's, as received (never changed).
-- state: awaiting_review | queued (our answer waits in the outbox) | confirmed (KRA took our
-- answer) | rejected_by_kra (KRA refused it: result_cd / result_msg verbatim; answer again).
-- answer: accepted | rejected (our answer; NULL while awaiting review). invc_no: our purchase
-- number (the device's purchase counter), kept while KRA has not definitively refused it and
-- a later number was taken; request_json: the frozen insertTrnsPurchase body. version counts
-- the answers (the outbox idempotency key is pchs:<id>:v<version>).
CREATE TABLE etims_purchase (
    id               TEXT PRIMARY KEY,
    spplr_tin        TEXT NOT NULL,
    spplr_bhf_id     TEXT NOT NULL,
    spplr_invc_no    BIGINT NOT NULL,
    spplr_nm         TEXT,
    spplr_sdc_id     TEXT,
    spplr_mrc_no     TEXT,
    rcpt_ty_cd       TEXT,                  -- the supplier's: S sale, R credit note (our rcptTyCd P / R)
    pmt_ty_cd        TEXT,
    cfm_dt           TEXT,                  -- as KRA lists it (yyyy-MM-dd HH:mm:ss)
    sales_dt         TEXT,
    stock_rls_dt     TEXT,
    tot_item_cnt     BIGINT,
    taxbl_amt_a      TEXT,
    taxbl_amt_b      TEXT,
    taxbl_amt_c      TEXT,
    taxbl_amt_d      TEXT,
    taxbl_amt_e      TEXT,
    tax_rt_a         TEXT,
    tax_rt_b         TEXT,
    tax_rt_c         TEXT,
    tax_rt_d         TEXT,
    tax_rt_e         TEXT,
    tax_amt_a        TEXT,
    tax_amt_b        TEXT,
    tax_amt_c        TEXT,
    tax_amt_d        TEXT,
    tax_amt_e        TEXT,
    tot_taxbl_amt    TEXT,
    tot_tax_amt      TEXT,
    tot_amt          TEXT,
    remark           TEXT,
    record_json      TEXT NOT NULL,
    state            TEXT NOT NULL,
    answer           TEXT,
    reason           TEXT,                  -- why it was rejected (as the person gave it)
    invc_no          BIGINT,
    request_json     TEXT,
    outbox_id        TEXT,
    version          BIGINT NOT NULL,
    result_cd        TEXT,
    result_msg       TEXT,
    answered_by      TEXT REFERENCES app_user (id),
    answered_at      TEXT,
    confirmed_at     TEXT,
    fetched_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (spplr_tin, spplr_bhf_id, spplr_invc_no)
);
CREATE INDEX etims_purchase_state ON etims_purchase (state);

-- The supplier's lines, verbatim (line_json as received), and the company's item each is
-- mapped to: mapped_by 'proposed' (an exact KRA item code or name match found by Hesabu) or
-- 'user' (a person chose it).
CREATE TABLE etims_purchase_line (
    purchase_id   TEXT NOT NULL REFERENCES etims_purchase (id),
    item_seq      BIGINT NOT NULL,
    item_cd       TEXT,
    item_cls_cd   TEXT,
    item_nm       TEXT,
    bcd           TEXT,
    pkg_unit_cd   TEXT,
    pkg           TEXT,
    qty_unit_cd   TEXT,
    qty           TEXT,
    prc           TEXT,
    sply_amt      TEXT,
    dc_rt         TEXT,
    dc_amt        TEXT,
    tax_ty_cd     TEXT,
    taxbl_amt     TEXT,
    tax_amt       TEXT,
    tot_amt       TEXT,
    item_expr_dt  TEXT,
    line_json     TEXT NOT NULL,
    item_id       TEXT REFERENCES item (id),
    mapped_by     TEXT,
    PRIMARY KEY (purchase_id, item_seq)
);

-- The device's purchase counter (spec §11.3: separate from the sales invcNo), strictly last + 1,
-- taken under the unit of work's write lock. One row per device (PIN + branch).
CREATE TABLE etims_purchase_counter (
    tin           TEXT NOT NULL,
    bhf_id        TEXT NOT NULL,
    last_invc_no  BIGINT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (tin, bhf_id)
);
