-- KRA e-TIMS stock (issue 16; spec §7.4, §10; go-live cases 17, 18, 19): a local stock ledger
-- of the goods items, each movement reported to KRA (insertStockIO then saveStockMaster) through
-- the outbox, and KRA's list of the device's stock movements (selectStockMoveList). Written only
-- by hesabu-app's etims::stock.
--
-- Portable SQL (see the first migration): TEXT ids and RFC 3339 UTC timestamps from the
-- application's clock, exact decimals as TEXT, BIGINT, no AUTOINCREMENT, no triggers.
-- Simplifications: one stock location (no warehouses), no average cost kept.

-- One stock movement: one insertStockIO (one sarNo) at KRA. sar_no is the device's stock
-- counter, strictly last + 1 (spec §10, §11.3: a third counter, apart from sales and purchases),
-- taken under the unit of work's write lock. kind: opening | purchase | sale | sale_return |
-- adjustment_in | adjustment_out; sar_ty_cd its code of class 12. source names the document
-- that caused it ('sale:<id>', 'purchase:<id>', 'opening:<item id>', 'adjustment:<id>'). Rows
-- are never changed after they are written but for outbox_id, set in the same unit of work.
CREATE TABLE etims_stock_movement (
    id                TEXT PRIMARY KEY,
    sar_no            BIGINT NOT NULL UNIQUE,
    kind              TEXT NOT NULL,
    sar_ty_cd         TEXT NOT NULL,
    source            TEXT NOT NULL,
    counterparty_tin  TEXT,
    counterparty_name TEXT,
    counterparty_bhf  TEXT,
    occurred_on       TEXT NOT NULL,        -- yyyy-mm-dd
    reason            TEXT,                 -- adjustments: why (as the person gave it)
    outbox_id         TEXT,                 -- the row carrying insertStockIO + saveStockMaster
    created_by        TEXT REFERENCES app_user (id),  -- NULL: the system (a sale signed)
    created_at        TEXT NOT NULL
);
CREATE INDEX etims_stock_movement_source ON etims_stock_movement (source);

-- The goods lines of a movement. quantity is signed (in > 0, out < 0); remaining_after is the
-- item's remaining quantity once this line is counted (the rsdQty reported for the item).
CREATE TABLE etims_stock_line (
    movement_id     TEXT NOT NULL REFERENCES etims_stock_movement (id),
    position        BIGINT NOT NULL,
    item_id         TEXT NOT NULL REFERENCES item (id),
    quantity        TEXT NOT NULL,
    unit_price      TEXT NOT NULL,
    remaining_after TEXT NOT NULL,
    PRIMARY KEY (movement_id, position)
);
CREATE INDEX etims_stock_line_item ON etims_stock_line (item_id);

-- The remaining quantity of each goods item, moved in the same unit of work as each line (the
-- sum of its lines' quantities; the ledger above is the record).
CREATE TABLE etims_stock_level (
    item_id          TEXT PRIMARY KEY REFERENCES item (id),
    quantity         TEXT NOT NULL,
    last_movement_id TEXT NOT NULL REFERENCES etims_stock_movement (id),
    updated_at       TEXT NOT NULL
);

-- KRA's list of the device's stock movements (selectStockMoveList), as last pulled; its resultDt
-- watermark is the row 'stock_moves' of etims_kra_sync.
CREATE TABLE etims_kra_stock_move (
    sar_no        BIGINT PRIMARY KEY,
    ocrn_dt       TEXT,
    cust_tin      TEXT,
    cust_bhf_id   TEXT,
    tot_item_cnt  BIGINT,
    tot_amt       TEXT,
    remark        TEXT,
    record_json   TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
