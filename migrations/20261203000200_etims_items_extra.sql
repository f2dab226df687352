-- KRA e-TIMS: item compositions, the branch's insurers and imported items (issue 16; spec §4
-- rows 9, 12, 13, 14). Written only by hesabu-app's etims::compositions, etims::insurers and
-- etims::imports.
--
-- Portable SQL (see the first migration): TEXT ids and RFC 3339 UTC timestamps from the
-- application's clock, exact decimals as TEXT, BIGINT, no AUTOINCREMENT, no triggers.

-- An item made of other items (a bill of materials, saveItemComposition). version counts the
-- times the composition was set; each version is sent through the outbox under its own
-- idempotency key (cpst:<item id>:v<version>).
CREATE TABLE etims_composition (
    item_id      TEXT PRIMARY KEY REFERENCES item (id),
    version      BIGINT NOT NULL,
    outbox_id    TEXT,                      -- the row sending this version
    updated_by   TEXT REFERENCES app_user (id),
    updated_at   TEXT NOT NULL
);

CREATE TABLE etims_composition_component (
    item_id            TEXT NOT NULL REFERENCES etims_composition (item_id),
    component_item_id  TEXT NOT NULL REFERENCES item (id),
    quantity           TEXT NOT NULL,       -- exact decimal, > 0: how many go into one item
    position           BIGINT NOT NULL,     -- the order given
    PRIMARY KEY (item_id, component_item_id)
);

-- The insurers the branch accepts (pharmacies; saveBhfInsurance). code is isrccCd, the code a
-- sale line's isrccCd carries. premium_rate: exact decimal percent, 0 to 100.
CREATE TABLE etims_insurer (
    id            TEXT PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    premium_rate  TEXT NOT NULL,
    active        BOOLEAN NOT NULL,
    version       BIGINT NOT NULL,          -- idempotency key isrc:<id>:v<version>
    outbox_id     TEXT,                     -- the row sending the current version
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- The accountant's answer to an item customs declared as imported (updateImportItem), one row
-- per declaration line (taskCd + dclDe + itemSeq; the lines themselves are KRA's list cached in
-- etims_kra_import_item by etims::kra_records). A line is answered once: the row is never
-- changed after it is written.
CREATE TABLE etims_import_answer (
    task_cd      TEXT NOT NULL,
    dcl_de       TEXT NOT NULL,
    item_seq     BIGINT NOT NULL,
    decision     TEXT NOT NULL,             -- accepted | rejected
    status_cd    TEXT NOT NULL,             -- class 26 sent: 3 approved | 4 cancelled
    item_id      TEXT REFERENCES item (id), -- accepted: our item it became
    item_cls_cd  TEXT,
    item_cd      TEXT,
    remark       TEXT,
    outbox_id    TEXT NOT NULL,
    decided_by   TEXT REFERENCES app_user (id),
    decided_at   TEXT NOT NULL,
    PRIMARY KEY (task_cd, dcl_de, item_seq)
);
