//! Sample receipts for tests, benchmarks and looking at the output
//! (`cargo run -p hesabu-receipts --example samples -- DIR`). The signed values are those of the
//! OSCU fixtures in `shared/fixtures/etims/` (Odoo's test sale `INV/2024/00002`: one
//! consultancy line at 1.00 with 10 % off, signed as receipt 169 with signature
//! `123456789ODOOGR3`), so what the tests check is what KRA's own sample data would print.

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::model::{
    Band, Buyer, Environment, Line, Payment, Receipt, ReceiptKind, Seller, Signature, Stamp,
    TaxType, Totals,
};

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_default()
}

/// KRA's rates of code list 04 (A 0, B 16, C 0, D 0, E 8), with nothing in any band.
pub fn empty_bands() -> [Band; 5] {
    ["0", "16", "0", "0", "8"].map(|r| Band::empty(d(r)))
}

/// The seller of the fixtures (`oscu-init-response.json` and the sale's `receipt.adrs`), with a
/// real-looking PIN of the 11-character shape.
pub fn seller() -> Seller {
    Seller {
        trading_name: "The Cucumber Lounge".to_owned(),
        address: "Vineland 00500\nNairobi, Kenya".to_owned(),
        pin: "P052112956W".to_owned(),
        branch_id: "00".to_owned(),
        top_message: Some("Welcome".to_owned()),
        bottom_message: Some("THANK YOU".to_owned()),
    }
}

/// The fixture's signature (`oscu-save-sale-response.json`), on the device of
/// `oscu-init-response.json`.
pub fn signature() -> Signature {
    Signature {
        sdc_id: "KRACU0100000001".to_owned(),
        mrc_no: "WIS01000150".to_owned(),
        cur_rcpt_no: 169,
        tot_rcpt_no: 169,
        intrl_data: "GRKJVWYCFBPTYQ225X2UEYONVE".to_owned(),
        rcpt_sign: "123456789ODOOGR3".to_owned(),
        sdc_date_time: "20240415153039".to_owned(),
        environment: Environment::Production,
    }
}

/// The fixture sale `INV/2024/00002` (`oscu-save-sale-request.json`), signed.
pub fn fixture_invoice() -> Receipt {
    let mut bands = empty_bands();
    bands[1].taxable = d("0.90");
    bands[1].tax = d("0.14");
    Receipt {
        kind: ReceiptKind::Invoice,
        seller: seller(),
        buyer: Some(Buyer {
            name: "Ralph Jr".to_owned(),
            pin: Some("A000123456F".to_owned()),
        }),
        number: "INV/2024/00002".to_owned(),
        issued_at: Stamp {
            year: 2024,
            month: 4,
            day: 15,
            hour: 15,
            minute: 30,
            second: 0,
        },
        lines: vec![Line {
            description: "Fiscal Optimization Consultancy".to_owned(),
            quantity: d("1"),
            unit_price: d("1.00"),
            discount_rate: d("10"),
            discount_amount: d("0.10"),
            amount: d("1.00"),
            tax_type: TaxType::B,
        }],
        totals: Totals {
            before_discount: d("1.00"),
            discount: d("0.10"),
            sub_total: d("0.90"),
            vat: d("0.14"),
            total: d("1.04"),
        },
        bands,
        payments: vec![Payment {
            method: "CASH".to_owned(),
            amount: d("1.04"),
        }],
        signature: Some(signature()),
        original_cu_invoice: None,
        copy: false,
    }
}

/// A shop sale over three bands (standard, exempt, reduced with a discount), paid two ways,
/// with amounts in the thousands.
pub fn shop_invoice() -> Receipt {
    let mut bands = empty_bands();
    bands[0].taxable = d("1000.00");
    bands[1].taxable = d("6720.00");
    bands[1].tax = d("1075.20");
    bands[4].taxable = d("3420.00");
    bands[4].tax = d("273.60");
    let line =
        |description: &str, q: &str, p: &str, rate: &str, disc: &str, amount: &str, t| Line {
            description: description.to_owned(),
            quantity: d(q),
            unit_price: d(p),
            discount_rate: d(rate),
            discount_amount: d(disc),
            amount: d(amount),
            tax_type: t,
        };
    Receipt {
        kind: ReceiptKind::Invoice,
        seller: seller(),
        buyer: None,
        number: "INV/2024/00003".to_owned(),
        issued_at: Stamp {
            year: 2024,
            month: 4,
            day: 16,
            hour: 9,
            minute: 12,
            second: 5,
        },
        lines: vec![
            line(
                "Bookkeeping services, April",
                "2",
                "3360",
                "0",
                "0",
                "6720.00",
                TaxType::B,
            ),
            line(
                "Maize flour 2 kg",
                "10",
                "100",
                "0",
                "0",
                "1000.00",
                TaxType::A,
            ),
            line("Diesel", "20", "180", "5", "180.00", "3600.00", TaxType::E),
        ],
        totals: Totals {
            before_discount: d("11320.00"),
            discount: d("180.00"),
            sub_total: d("11140.00"),
            vat: d("1348.80"),
            total: d("12488.80"),
        },
        bands,
        payments: vec![
            Payment {
                method: "CASH".to_owned(),
                amount: d("2488.80"),
            },
            Payment {
                method: "MOBILE MONEY".to_owned(),
                amount: d("10000.00"),
            },
        ],
        signature: Some(Signature {
            cur_rcpt_no: 170,
            tot_rcpt_no: 170,
            intrl_data: "HSKVWYCFBPTYQ225X2UEYONVEA".to_owned(),
            rcpt_sign: "ABCDEFGH12345678".to_owned(),
            sdc_date_time: "20240416091210".to_owned(),
            ..signature()
        }),
        original_cu_invoice: None,
        copy: false,
    }
}

/// A credit note for the fixture sale (`oscu-save-credit-note-request.json`): the whole sale
/// refunded, signed as receipt 12 of its type (171 overall).
pub fn fixture_credit_note() -> Receipt {
    let invoice = fixture_invoice();
    Receipt {
        kind: ReceiptKind::CreditNote,
        number: "RINV/2024/00001".to_owned(),
        issued_at: Stamp {
            year: 2024,
            month: 4,
            day: 20,
            hour: 10,
            minute: 5,
            second: 0,
        },
        signature: Some(Signature {
            cur_rcpt_no: 12,
            tot_rcpt_no: 171,
            intrl_data: "QWERTYUIOPASDFGHJKLZXCVBNM".to_owned(),
            rcpt_sign: "CRN0000000000012".to_owned(),
            sdc_date_time: "2024-04-20 10:05:42.0".to_owned(),
            ..signature()
        }),
        original_cu_invoice: Some("KRACU0100000001/169".to_owned()),
        ..invoice
    }
}

/// An A4-sized invoice: `lines` item lines of 116.00 (100.00 + 16 % VAT), to fill pages.
pub fn long_invoice(lines: usize) -> Receipt {
    let mut receipt = fixture_invoice();
    receipt.number = "INV/2024/00099".to_owned();
    receipt.lines = (1..=lines)
        .map(|n| Line {
            description: format!("Stationery item number {n}, assorted colours"),
            quantity: d("1"),
            unit_price: d("100.00"),
            discount_rate: Decimal::ZERO,
            discount_amount: Decimal::ZERO,
            amount: d("100.00"),
            tax_type: TaxType::B,
        })
        .collect();
    let count = Decimal::from(lines);
    let net = d("100.00") * count;
    let tax = d("16.00") * count;
    receipt.totals = Totals {
        before_discount: net,
        discount: Decimal::ZERO,
        sub_total: net,
        vat: tax,
        total: net + tax,
    };
    receipt.bands = empty_bands();
    receipt.bands[1].taxable = net;
    receipt.bands[1].tax = tax;
    receipt.payments = vec![Payment {
        method: "BANK TRANSFER".to_owned(),
        amount: net + tax,
    }];
    receipt
}
