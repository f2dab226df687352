//! The HTTP client: one per device, async, cheap to clone.
//!
//! Every call is a `POST` of JSON to `<base>/<path>` with the device headers (`tin`, `bhfId`,
//! `cmcKey`); on the integrator gateway also a bearer token, fetched with the consumer key and
//! secret, cached until shortly before it expires and fetched again once on a 401. Answers are
//! unwrapped and classified by [`crate::envelope`] and [`crate::result`]. The client never
//! retries a call by itself: retrying is the outbox's decision.

use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::config::ClientConfig;
use crate::envelope::{NoData, Reply, interpret};
use crate::error::Error;
use crate::gateway::{Endpoint, Gateway, IntegratorAuth};
use crate::lenient;
use crate::secret::Secret;
use crate::types::ListRequest;
use crate::types::customers::BranchCustomerRequest;
use crate::types::imports::ImportItemUpdateRequest;
use crate::types::init::{InitData, InitRequest};
use crate::types::insurance::BranchInsuranceRequest;
use crate::types::items::{ItemCompositionRequest, ItemListData, SaveItemRequest};
use crate::types::kra_lists::{
    BranchUserRequest, CustomerListData, ImportItemData, TaxpayerInfoData,
};
use crate::types::purchases::{PurchaseSalesData, TrnsPurchaseSaveReq};
use crate::types::reference::{
    BranchData, CodeListData, CustomerSearchData, CustomerSearchRequest, ItemClassData, NoticeData,
};
use crate::types::sales::{
    InvoiceDetailsData, InvoiceDetailsRequest, SaveSaleData, SaveSaleRequest,
};
use crate::types::stock::{StockIoRequest, StockMasterRequest, StockMoveData};

/// A token is used until this long before KRA says it expires.
const TOKEN_MARGIN: Duration = Duration::from_secs(60);
/// When the token answer has no `expires_in` (Apigee's default is about an hour).
const TOKEN_DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

/// The e-TIMS client of one device.
#[derive(Debug, Clone)]
pub struct Client {
    config: Arc<ClientConfig>,
    /// The base URL without its trailing slash.
    base: String,
    http: reqwest::Client,
    token: Arc<Mutex<Option<CachedToken>>>,
}

#[derive(Debug)]
struct CachedToken {
    token: Secret,
    fresh_until: Instant,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Secret,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    expires_in: Option<u64>,
}

impl Client {
    /// A client for the device `config` describes. Fails only on a malformed URL.
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        let base = config.base_url.trim().trim_end_matches('/').to_owned();
        check_url("e-TIMS address", &base)?;
        if let Gateway::Integrator(auth) = &config.gateway {
            check_url("e-TIMS token address", &auth.token_url)?;
        }
        let http = reqwest::Client::builder()
            .connect_timeout(config.timeouts.connect)
            .user_agent(concat!("hesabu-etims/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                Error::Config(format!("could not start the HTTP client: {}", chain(&e)))
            })?;
        Ok(Client {
            config: Arc::new(config),
            base,
            http,
            token: Arc::new(Mutex::new(None)),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The same device with the communication key initialisation issued (sharing the HTTP
    /// connections and the cached token).
    pub fn with_cmc_key(&self, cmc_key: Secret) -> Client {
        let config = ClientConfig::clone(&self.config).with_cmc_key(cmc_key);
        Client {
            config: Arc::new(config),
            ..self.clone()
        }
    }

    // ---- initialisation and reference data -------------------------------------------------

    /// Initialises the device (`selectInitOsdcInfo`, integrator `/initialize`). Call it once:
    /// persist `data.info.cmc_key` at once; a second call answers `902`.
    pub async fn init(&self, dvc_srl_no: &str) -> Result<Reply<InitData>, Error> {
        let request = InitRequest {
            tin: self.config.tin.clone(),
            bhf_id: self.config.bhf_id.clone(),
            dvc_srl_no: dvc_srl_no.to_owned(),
        };
        self.call(Endpoint::Init, &request).await
    }

    /// Code lists changed after `last_req_dt` (`selectCodeList`).
    pub async fn code_list(&self, last_req_dt: &str) -> Result<Reply<Option<CodeListData>>, Error> {
        self.list(Endpoint::CodeList, last_req_dt).await
    }

    /// Item classifications (`selectItemClsList`, integrator `/selectItemClass`); slow.
    pub async fn item_classes(
        &self,
        last_req_dt: &str,
    ) -> Result<Reply<Option<ItemClassData>>, Error> {
        self.list(Endpoint::ItemClassList, last_req_dt).await
    }

    /// Looks a KRA PIN up (`selectCustomer`, integrator `/customerPinInfo`); `None` data
    /// (`001`) means KRA does not know it.
    pub async fn lookup_pin(&self, pin: &str) -> Result<Reply<Option<CustomerSearchData>>, Error> {
        let request = CustomerSearchRequest {
            tin: Some(self.config.tin.clone()),
            bhf_id: Some(self.config.bhf_id.clone()),
            custm_tin: pin.to_owned(),
        };
        self.call(Endpoint::CustomerPin, &request).await
    }

    /// KRA's notices (`selectNoticeList`).
    pub async fn notices(&self, last_req_dt: &str) -> Result<Reply<Option<NoticeData>>, Error> {
        self.list(Endpoint::NoticeList, last_req_dt).await
    }

    /// The taxpayer's branches (`selectBhfList`, integrator `/branchList`).
    pub async fn branches(&self, last_req_dt: &str) -> Result<Reply<Option<BranchData>>, Error> {
        self.list(Endpoint::BranchList, last_req_dt).await
    }

    // ---- masters ----------------------------------------------------------------------------

    /// Registers or updates a branch customer (`saveBhfCustomer`).
    pub async fn save_branch_customer(
        &self,
        request: &BranchCustomerRequest,
    ) -> Result<Reply<NoData>, Error> {
        self.call(Endpoint::SaveBranchCustomer, request).await
    }

    /// Registers or updates an item (`saveItem`).
    pub async fn save_item(&self, request: &SaveItemRequest) -> Result<Reply<NoData>, Error> {
        self.call(Endpoint::SaveItem, request).await
    }

    /// Items registered at KRA (`selectItemList`, integrator `/itemInfo`).
    pub async fn items(&self, last_req_dt: &str) -> Result<Reply<Option<ItemListData>>, Error> {
        self.list(Endpoint::ItemList, last_req_dt).await
    }

    /// Registers or updates an insurer the branch accepts (`saveBhfInsurance`, integrator
    /// `/branchInsuranceInfo`).
    pub async fn save_branch_insurance(
        &self,
        request: &BranchInsuranceRequest,
    ) -> Result<Reply<NoData>, Error> {
        self.call(Endpoint::SaveBranchInsurance, request).await
    }

    /// Saves one component of a composite item (`saveItemComposition`).
    pub async fn save_item_composition(
        &self,
        request: &ItemCompositionRequest,
    ) -> Result<Reply<NoData>, Error> {
        self.call(Endpoint::SaveItemComposition, request).await
    }

    /// Accepts or rejects one imported item (`updateImportItem`, integrator
    /// `/importedItemConvertedInfo`).
    pub async fn update_import_item(
        &self,
        request: &ImportItemUpdateRequest,
    ) -> Result<Reply<NoData>, Error> {
        self.call(Endpoint::UpdateImportItem, request).await
    }

    // ---- sales --------------------------------------------------------------------------------

    /// Sends a sale or credit note to be signed (`saveTrnsSalesOsdc`, integrator
    /// `/sendSalesTransaction`). For a stored payload use [`Client::save_sale_json`], which
    /// sends the stored text unchanged.
    pub async fn save_sale(&self, request: &SaveSaleRequest) -> Result<Reply<SaveSaleData>, Error> {
        self.call(Endpoint::SaveSale, request).await
    }

    /// Sends a frozen `TrnsSalesSaveWrReq` exactly as stored.
    pub async fn save_sale_json(&self, payload: &str) -> Result<Reply<SaveSaleData>, Error> {
        self.send_json(Endpoint::SaveSale, payload.to_owned()).await
    }

    /// Fetches one of our invoices back (`selectInvoiceDetails`, integrator
    /// `/selectInvoiceDetail`): `None` data (`001`) means KRA has no invoice `invc_no`.
    pub async fn invoice_details(
        &self,
        invc_no: u64,
    ) -> Result<Reply<Option<InvoiceDetailsData>>, Error> {
        let request = InvoiceDetailsRequest {
            tin: Some(self.config.tin.clone()),
            bhf_id: Some(self.config.bhf_id.clone()),
            invc_no,
        };
        self.call(Endpoint::InvoiceDetails, &request).await
    }

    // ---- stock and purchases -----------------------------------------------------------------

    /// Reports a stock movement (`insertStockIO`, integrator `/insert/stockIO`).
    pub async fn save_stock_io(&self, request: &StockIoRequest) -> Result<Reply<NoData>, Error> {
        self.call(Endpoint::SaveStockIo, request).await
    }

    /// Reports an item's remaining quantity (`saveStockMaster`, integrator `/save/stockMaster`).
    pub async fn save_stock_master(
        &self,
        request: &StockMasterRequest,
    ) -> Result<Reply<NoData>, Error> {
        self.call(Endpoint::SaveStockMaster, request).await
    }

    /// Stock movements (`selectStockMoveList`, integrator `/selectStockMoveLists`).
    pub async fn stock_moves(
        &self,
        last_req_dt: &str,
    ) -> Result<Reply<Option<StockMoveData>>, Error> {
        self.list(Endpoint::StockMoveList, last_req_dt).await
    }

    /// Sales suppliers declared against our PIN (`selectTrnsPurchaseSalesList`, integrator
    /// `/getPurchaseTransactionInfo`).
    pub async fn purchase_sales(
        &self,
        last_req_dt: &str,
    ) -> Result<Reply<Option<PurchaseSalesData>>, Error> {
        self.list(Endpoint::PurchaseSalesList, last_req_dt).await
    }

    /// Confirms (or rejects) a supplier's sale as our purchase (`insertTrnsPurchase`,
    /// integrator `/sendPurchaseTransactionInfo`). For a stored request use
    /// [`Client::save_purchase_json`].
    pub async fn save_purchase(
        &self,
        request: &TrnsPurchaseSaveReq,
    ) -> Result<Reply<NoData>, Error> {
        self.call(Endpoint::SavePurchase, request).await
    }

    /// Sends a frozen `TrnsPurchaseSaveReq` exactly as stored.
    pub async fn save_purchase_json(&self, payload: &str) -> Result<Reply<NoData>, Error> {
        self.send_json(Endpoint::SavePurchase, payload.to_owned())
            .await
    }

    // ---- what KRA keeps for the device ----------------------------------------------------------

    /// Registers or updates a user of the branch (`saveBhfUser`, integrator
    /// `/branchUserAccount`).
    pub async fn save_branch_user(
        &self,
        request: &BranchUserRequest,
    ) -> Result<Reply<NoData>, Error> {
        self.call(Endpoint::SaveBranchUser, request).await
    }

    /// Items customs declared as imported by the taxpayer (`selectImportItemList`, integrator
    /// `/importedItemInfo`).
    pub async fn import_items(
        &self,
        last_req_dt: &str,
    ) -> Result<Reply<Option<ImportItemData>>, Error> {
        self.list(Endpoint::ImportItemList, last_req_dt).await
    }

    /// Our signed sales and credit notes as KRA holds them (`selectTrnsSalesList`, integrator
    /// `/selectSalesTransactions`).
    pub async fn sales_list(
        &self,
        last_req_dt: &str,
    ) -> Result<Reply<Option<InvoiceDetailsData>>, Error> {
        self.list(Endpoint::SalesList, last_req_dt).await
    }

    /// The branch's customers (`selectCustomerList`).
    pub async fn customer_list(
        &self,
        last_req_dt: &str,
    ) -> Result<Reply<Option<CustomerListData>>, Error> {
        self.list(Endpoint::CustomerList, last_req_dt).await
    }

    /// The taxpayer as KRA registered it (`selectTaxpayerInfo`; its request is a list request,
    /// spec §4 row 24).
    pub async fn taxpayer_info(
        &self,
        last_req_dt: &str,
    ) -> Result<Reply<Option<TaxpayerInfoData>>, Error> {
        self.list(Endpoint::TaxpayerInfo, last_req_dt).await
    }

    // ---- any endpoint --------------------------------------------------------------------------

    /// Calls any endpoint with a typed body; for the endpoints without a method above. `D` is
    /// `Option<T>` for lookups, [`NoData`] for saves.
    pub async fn call<D: DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        body: &impl Serialize,
    ) -> Result<Reply<D>, Error> {
        let json = serde_json::to_string(body)
            .map_err(|e| Error::Config(format!("could not write the {endpoint:?} request: {e}")))?;
        self.send_json(endpoint, json).await
    }

    /// Sends `json` to `endpoint` as it is.
    pub async fn send_json<D: DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        json: String,
    ) -> Result<Reply<D>, Error> {
        let key = match (endpoint.needs_cmc_key(), &self.config.cmc_key) {
            (true, None) => {
                return Err(Error::Config(
                    "this e-TIMS device has no communication key (cmcKey) yet: initialise the \
                     device, or enter the key KRA issued for it"
                        .to_owned(),
                ));
            }
            (true, Some(key)) => Some(key),
            (false, _) => None,
        };
        let url = format!("{}/{}", self.base, endpoint.path(&self.config.gateway));
        let timeout = self.config.timeouts.for_kind(endpoint.timeout_kind());
        let mut token_renewed = false;
        loop {
            let mut request = self
                .http
                .post(&url)
                .timeout(timeout)
                .header(CONTENT_TYPE, "application/json")
                .header(ACCEPT, "application/json");
            // Legacy initialisation carries no device headers at all (as Odoo sends it).
            let legacy_init = endpoint == Endpoint::Init && !self.config.gateway.is_integrator();
            if !legacy_init {
                request = request
                    .header("tin", &self.config.tin)
                    .header("bhfId", &self.config.bhf_id);
            }
            if let Some(key) = key {
                request = request.header("cmcKey", key.expose());
            }
            if let Gateway::Integrator(auth) = &self.config.gateway {
                let token = self.bearer(auth).await?;
                request = request.bearer_auth(token.expose());
                if let Some(app) = &auth.apigee_app_id {
                    request = request.header("apigee_app_id", app);
                }
            }
            let response = request.body(json.clone()).send().await.map_err(transport)?;
            let status = response.status().as_u16();
            let retry_after = retry_after(response.headers());
            let body = response.bytes().await.map_err(transport)?;
            let body = String::from_utf8_lossy(&body).into_owned();
            // An expired or revoked token: fetch a new one and try once more.
            if status == 401 && self.config.gateway.is_integrator() && !token_renewed {
                token_renewed = true;
                *self.token.lock().await = None;
                continue;
            }
            return interpret(status, body, retry_after);
        }
    }

    /// Lookups carry `tin` and `bhfId` in the body too (the integrator needs them there).
    async fn list<D: DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        last_req_dt: &str,
    ) -> Result<Reply<D>, Error> {
        let request = ListRequest {
            tin: Some(self.config.tin.clone()),
            bhf_id: Some(self.config.bhf_id.clone()),
            last_req_dt: last_req_dt.to_owned(),
        };
        self.call(endpoint, &request).await
    }

    /// The cached bearer token, or a fresh one.
    async fn bearer(&self, auth: &IntegratorAuth) -> Result<Secret, Error> {
        let mut cached = self.token.lock().await;
        if let Some(token) = cached.as_ref()
            && Instant::now() < token.fresh_until
        {
            return Ok(token.token.clone());
        }
        let fetched = self.fetch_token(auth).await?;
        let token = fetched.token.clone();
        *cached = Some(fetched);
        Ok(token)
    }

    async fn fetch_token(&self, auth: &IntegratorAuth) -> Result<CachedToken, Error> {
        // Nothing of the business request has been sent yet, so no failure here leaves an
        // unknown outcome behind.
        let not_sent = |message: &str, timeout: bool| Error::Transport {
            message: format!(
                "getting an access token: {}",
                message.trim().chars().take(300).collect::<String>()
            ),
            timeout,
            outcome_unknown: false,
        };
        let response = self
            .http
            .get(&auth.token_url)
            .timeout(self.config.timeouts.init)
            .basic_auth(&auth.consumer_key, Some(auth.consumer_secret.expose()))
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| not_sent(&chain(&e), e.is_timeout()))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| not_sent(&chain(&e), e.is_timeout()))?;
        let body = String::from_utf8_lossy(&body).into_owned();
        if (400..500).contains(&status) && status != 408 && status != 429 {
            return Err(Error::Auth {
                status,
                message: body.trim().chars().take(300).collect(),
            });
        }
        if !(200..300).contains(&status) {
            return Err(not_sent(&format!("HTTP {status}: {body}"), false));
        }
        let answer: TokenAnswer = serde_json::from_str(&body)
            .map_err(|e| not_sent(&format!("the answer has no access_token ({e})"), false))?;
        let lifetime = answer
            .expires_in
            .map_or(TOKEN_DEFAULT_LIFETIME, Duration::from_secs);
        Ok(CachedToken {
            token: answer.access_token,
            fresh_until: Instant::now() + lifetime.saturating_sub(TOKEN_MARGIN),
        })
    }
}

fn check_url(what: &str, url: &str) -> Result<(), Error> {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(()),
        Ok(u) => Err(Error::Config(format!(
            "the {what} {url:?} must be an http(s) URL, not {}",
            u.scheme()
        ))),
        Err(e) => Err(Error::Config(format!(
            "the {what} {url:?} is not a URL: {e}"
        ))),
    }
}

/// A reqwest failure as our error: a failed connect never reached KRA; anything later may have.
fn transport(e: reqwest::Error) -> Error {
    if e.is_builder() {
        return Error::Config(format!("could not build the e-TIMS request: {}", chain(&e)));
    }
    Error::Transport {
        message: chain(&e),
        timeout: e.is_timeout(),
        outcome_unknown: !e.is_connect(),
    }
}

/// An error with its causes, which say what actually went wrong (reqwest's own text does not).
fn chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(Duration::from_secs(seconds))
}
