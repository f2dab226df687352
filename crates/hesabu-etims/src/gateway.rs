//! The two ways to reach OSCU (spec §0, §4, §15) and the endpoint path table.
//!
//! - **Legacy** (direct OSCU API): flat spec paths (`/saveTrnsSalesOsdc`), authenticated by the
//!   `tin`, `bhfId` and `cmcKey` headers alone, bare `{resultCd, resultMsg, resultDt, data}`
//!   envelope.
//! - **Integrator** (GavaConnect / Apigee): an OAuth client-credentials bearer token *plus* the
//!   same headers, partly renamed paths (`/sendSalesTransaction`), a response usually wrapped in
//!   `{responseHeader, responseBody}`, and validation failures as HTTP 400 with a
//!   `responseHeader` and `responseBody: null`.
//!
//! The base URL is configured per device ([`crate::ClientConfig`]); the constants below are the
//! known hosts. The production integrator host is unconfirmed (spec §17.1), so it has none.

use crate::secret::Secret;

/// Legacy OSCU sandbox (spec §15).
pub const LEGACY_SANDBOX: &str = "https://etims-api-sbx.kra.go.ke/etims-api/";
/// Legacy OSCU production.
pub const LEGACY_PRODUCTION: &str = "https://etims-api.kra.go.ke/etims-api/";
/// Integrator gateway sandbox.
pub const INTEGRATOR_SANDBOX: &str = "https://sbx.kra.go.ke/etims-oscu/api/v1";
/// Integrator gateway sandbox token endpoint (HTTP Basic with the consumer key and secret).
pub const INTEGRATOR_SANDBOX_TOKEN: &str =
    "https://sbx.kra.go.ke/v1/token/generate?grant_type=client_credentials";

/// Which gateway a device talks to, with what that gateway needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gateway {
    Legacy,
    Integrator(IntegratorAuth),
}

/// The integrator gateway's OAuth client credentials (an Apigee app on developer.go.ke).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegratorAuth {
    /// The full token URL, e.g. [`INTEGRATOR_SANDBOX_TOKEN`].
    pub token_url: String,
    pub consumer_key: String,
    pub consumer_secret: Secret,
    /// Sent as the `apigee_app_id` header when set (several integrators send it).
    pub apigee_app_id: Option<String>,
}

impl Gateway {
    pub fn is_integrator(&self) -> bool {
        matches!(self, Gateway::Integrator(_))
    }
}

/// Every OSCU endpoint of spec §4, rows 1–24.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Init,
    CodeList,
    ItemClassList,
    CustomerPin,
    NoticeList,
    BranchList,
    SaveBranchCustomer,
    SaveBranchUser,
    SaveBranchInsurance,
    SaveItem,
    ItemList,
    SaveItemComposition,
    ImportItemList,
    UpdateImportItem,
    SaveSale,
    InvoiceDetails,
    SalesList,
    PurchaseSalesList,
    SavePurchase,
    StockMoveList,
    SaveStockIo,
    SaveStockMaster,
    CustomerList,
    TaxpayerInfo,
}

/// How long a call may take ([`crate::Timeouts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutKind {
    /// Device initialisation (Odoo: 30 s).
    Init,
    /// Every ordinary call (Odoo: 120 s, "eTIMS can often have congestion").
    Call,
    /// The huge item-classification download (Navari: up to 30 min).
    Bulk,
}

impl Endpoint {
    pub const ALL: [Endpoint; 24] = [
        Endpoint::Init,
        Endpoint::CodeList,
        Endpoint::ItemClassList,
        Endpoint::CustomerPin,
        Endpoint::NoticeList,
        Endpoint::BranchList,
        Endpoint::SaveBranchCustomer,
        Endpoint::SaveBranchUser,
        Endpoint::SaveBranchInsurance,
        Endpoint::SaveItem,
        Endpoint::ItemList,
        Endpoint::SaveItemComposition,
        Endpoint::ImportItemList,
        Endpoint::UpdateImportItem,
        Endpoint::SaveSale,
        Endpoint::InvoiceDetails,
        Endpoint::SalesList,
        Endpoint::PurchaseSalesList,
        Endpoint::SavePurchase,
        Endpoint::StockMoveList,
        Endpoint::SaveStockIo,
        Endpoint::SaveStockMaster,
        Endpoint::CustomerList,
        Endpoint::TaxpayerInfo,
    ];

    /// The path on the legacy gateway, after `…/etims-api/`. Also the operation's name in the
    /// spec, used as the outbox row's `operation`.
    pub fn legacy_path(self) -> &'static str {
        match self {
            Endpoint::Init => "selectInitOsdcInfo",
            Endpoint::CodeList => "selectCodeList",
            Endpoint::ItemClassList => "selectItemClsList",
            Endpoint::CustomerPin => "selectCustomer",
            Endpoint::NoticeList => "selectNoticeList",
            Endpoint::BranchList => "selectBhfList",
            Endpoint::SaveBranchCustomer => "saveBhfCustomer",
            Endpoint::SaveBranchUser => "saveBhfUser",
            Endpoint::SaveBranchInsurance => "saveBhfInsurance",
            Endpoint::SaveItem => "saveItem",
            Endpoint::ItemList => "selectItemList",
            Endpoint::SaveItemComposition => "saveItemComposition",
            Endpoint::ImportItemList => "selectImportItemList",
            Endpoint::UpdateImportItem => "updateImportItem",
            Endpoint::SaveSale => "saveTrnsSalesOsdc",
            Endpoint::InvoiceDetails => "selectInvoiceDetails",
            Endpoint::SalesList => "selectTrnsSalesList",
            Endpoint::PurchaseSalesList => "selectTrnsPurchaseSalesList",
            Endpoint::SavePurchase => "insertTrnsPurchase",
            Endpoint::StockMoveList => "selectStockMoveList",
            Endpoint::SaveStockIo => "insertStockIO",
            Endpoint::SaveStockMaster => "saveStockMaster",
            Endpoint::CustomerList => "selectCustomerList",
            Endpoint::TaxpayerInfo => "selectTaxpayerInfo",
        }
    }

    /// The path on the integrator gateway, after `…/etims-oscu/api/v1/`.
    pub fn integrator_path(self) -> &'static str {
        match self {
            Endpoint::Init => "initialize",
            Endpoint::CodeList => "selectCodeList",
            Endpoint::ItemClassList => "selectItemClass",
            Endpoint::CustomerPin => "customerPinInfo",
            Endpoint::NoticeList => "selectNoticeList",
            Endpoint::BranchList => "branchList",
            Endpoint::SaveBranchCustomer => "branchSendCustomerInfo",
            Endpoint::SaveBranchUser => "branchUserAccount",
            Endpoint::SaveBranchInsurance => "branchInsuranceInfo",
            Endpoint::SaveItem => "saveItem",
            Endpoint::ItemList => "itemInfo",
            Endpoint::SaveItemComposition => "saveItemComposition",
            Endpoint::ImportItemList => "importedItemInfo",
            Endpoint::UpdateImportItem => "importedItemConvertedInfo",
            Endpoint::SaveSale => "sendSalesTransaction",
            Endpoint::InvoiceDetails => "selectInvoiceDetail",
            Endpoint::SalesList => "selectSalesTransactions",
            Endpoint::PurchaseSalesList => "getPurchaseTransactionInfo",
            Endpoint::SavePurchase => "sendPurchaseTransactionInfo",
            Endpoint::StockMoveList => "selectStockMoveLists",
            Endpoint::SaveStockIo => "insert/stockIO",
            Endpoint::SaveStockMaster => "save/stockMaster",
            Endpoint::CustomerList => "selectCustomerList",
            Endpoint::TaxpayerInfo => "selectTaxpayerInfo",
        }
    }

    pub fn path(self, gateway: &Gateway) -> &'static str {
        match gateway {
            Gateway::Legacy => self.legacy_path(),
            Gateway::Integrator(_) => self.integrator_path(),
        }
    }

    /// Initialisation is the only call without a `cmcKey` (it is what issues one).
    pub fn needs_cmc_key(self) -> bool {
        self != Endpoint::Init
    }

    pub fn timeout_kind(self) -> TimeoutKind {
        match self {
            Endpoint::Init => TimeoutKind::Init,
            Endpoint::ItemClassList => TimeoutKind::Bulk,
            _ => TimeoutKind::Call,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_table_is_complete_and_distinct() {
        let mut legacy = std::collections::BTreeSet::new();
        let mut integrator = std::collections::BTreeSet::new();
        for e in Endpoint::ALL {
            assert!(legacy.insert(e.legacy_path()), "{e:?}");
            assert!(integrator.insert(e.integrator_path()), "{e:?}");
        }
        assert_eq!(
            Endpoint::SaveSale.path(&Gateway::Legacy),
            "saveTrnsSalesOsdc"
        );
        let auth = IntegratorAuth {
            token_url: INTEGRATOR_SANDBOX_TOKEN.to_owned(),
            consumer_key: "k".to_owned(),
            consumer_secret: Secret::new("s"),
            apigee_app_id: None,
        };
        assert_eq!(
            Endpoint::SaveStockIo.path(&Gateway::Integrator(auth)),
            "insert/stockIO"
        );
    }
}
