//! The sandbox's one company: its objects (each field kept as its JSON text, so amounts never
//! pass through a float), the OAuth grants, injected faults, `requestid` replays and counters.
//! Everything sits behind one mutex and runs synchronously; the HTTP layer (`http.rs`) only
//! reads requests and writes answers.

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::query::{self, Op, QueryError};
use crate::{InjectedFault, Stats, WriteRecord};

/// The company's time zone: Nairobi (+03:00), so `+` in timestamps gets exercised.
const OFFSET_SECONDS: i32 = 3 * 3600;
/// Intuit's access token lifetime.
pub(crate) const ACCESS_SECONDS: i64 = 3600;
/// The refresh token's rolling window (about 101 days).
pub(crate) const REFRESH_ROLLING_SECONDS: i64 = 8_726_400;
/// The refresh token's hard cap (5 years).
pub(crate) const REFRESH_HARD_SECONDS: i64 = 5 * 365 * 86_400;
/// How long an authorization code may wait for its exchange (Intuit's is short and
/// undocumented, spec §1.3: this is the sandbox's choice).
const CODE_SECONDS: i64 = 600;
/// CDC looks back at most this far (spec §3.1).
const CDC_MAX_DAYS: i64 = 30;
/// CDC returns at most this many objects per answer (spec §3.1).
pub(crate) const CDC_MAX_OBJECTS: usize = 1000;

/// The entities the sandbox keeps: (name, path).
pub(crate) const ENTITIES: &[(&str, &str)] = &[
    ("Invoice", "invoice"),
    ("CreditMemo", "creditmemo"),
    ("SalesReceipt", "salesreceipt"),
    ("Customer", "customer"),
    ("Item", "item"),
    ("TaxCode", "taxcode"),
    ("TaxRate", "taxrate"),
    ("Attachable", "attachable"),
];

const SALES_TXNS: &[&str] = &["Invoice", "CreditMemo", "SalesReceipt"];

/// An entity's canonical name from its name or path, in any case.
pub(crate) fn canonical(name: &str) -> Option<&'static str> {
    ENTITIES
        .iter()
        .find(|(n, p)| n.eq_ignore_ascii_case(name) || p.eq_ignore_ascii_case(name))
        .map(|(n, _)| *n)
}

pub(crate) type Fields = BTreeMap<String, Box<RawValue>>;

/// The most items one batch may hold (spec §6.1: Intuit's API reference).
pub const MAX_BATCH_ITEMS: usize = 30;

/// One stored object. `Id`, `SyncToken`, `MetaData`, `domain` and `sparse` are rendered from
/// the typed fields; everything else is kept as sent.
#[derive(Debug, Clone)]
pub(crate) struct Obj {
    pub entity: &'static str,
    pub id: u64,
    pub sync_token: u64,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub fields: Fields,
    pub deleted: bool,
}

/// The sandbox's clock: the wall clock or a fixed instant, plus what tests advanced it by.
#[derive(Debug, Clone)]
pub(crate) struct Clock {
    pub fixed: Option<DateTime<Utc>>,
    pub offset: chrono::Duration,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        self.fixed.unwrap_or_else(wall_clock) + self.offset
    }
}

// The sandbox stands in for Intuit's servers, whose clock is the wall clock; tests fix it.
#[allow(clippy::disallowed_methods)]
fn wall_clock() -> DateTime<Utc> {
    Utc::now()
}

fn zone() -> FixedOffset {
    FixedOffset::east_opt(OFFSET_SECONDS).unwrap_or_else(|| FixedOffset::east_opt(0).unwrap())
}

/// A timestamp as QuickBooks writes `MetaData` times: seconds, the company's offset.
pub(crate) fn stamp_text(t: DateTime<Utc>) -> String {
    t.with_timezone(&zone())
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

fn after(t: DateTime<Utc>, seconds: i64) -> DateTime<Utc> {
    t + chrono::Duration::seconds(seconds)
}

/// A JSON string literal.
pub(crate) fn json_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// JSON text as a stored field.
pub(crate) fn raw(text: String) -> Box<RawValue> {
    RawValue::from_string(text).unwrap_or_else(|_| RawValue::from_string("null".into()).unwrap())
}

/// An answer: status and JSON body.
pub(crate) type Answer = (u16, String);

#[derive(Debug, Default)]
pub(crate) struct OAuth {
    codes: HashMap<String, Code>,
    grants: Vec<Grant>,
    refresh: HashMap<String, usize>,
    access: HashMap<String, Access>,
    counter: u64,
}

#[derive(Debug)]
struct Code {
    redirect_uri: String,
    used: bool,
    issued: DateTime<Utc>,
}

#[derive(Debug)]
struct Grant {
    current_refresh: String,
    revoked: bool,
    rolling_expires: DateTime<Utc>,
    hard_expires: DateTime<Utc>,
}

#[derive(Debug)]
struct Access {
    grant: usize,
    expires: DateTime<Utc>,
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AccessProblem {
    Missing,
    Unknown,
    Expired,
    Revoked,
}

/// The whole company.
#[derive(Debug)]
pub(crate) struct Company {
    pub realm_id: String,
    pub client_id: String,
    pub client_secret: String,
    pub base_url: String,
    pub clock: Clock,
    last_stamp: DateTime<Utc>,
    pub objects: BTreeMap<(&'static str, u64), Obj>,
    next_ids: HashMap<&'static str, u64>,
    pub attachments: HashMap<u64, Vec<u8>>,
    pub preferences: Fields,
    pub oauth: OAuth,
    pub faults: VecDeque<InjectedFault>,
    pub deny_next_consent: bool,
    pub replays: HashMap<String, Answer>,
    pub stats: Stats,
    pub writes: Vec<WriteRecord>,
}

/// One uploaded multipart part.
#[derive(Debug, Clone)]
pub(crate) struct UploadPart {
    pub name: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

#[derive(Deserialize)]
struct LinkRef {
    #[serde(rename = "EntityRef", default)]
    entity_ref: Option<EntityRef>,
}

#[derive(Deserialize)]
struct EntityRef {
    #[serde(default)]
    value: String,
    #[serde(rename = "type", default)]
    kind: String,
}

#[derive(Serialize)]
struct FaultBody<'a> {
    #[serde(rename = "Fault")]
    fault: FaultInner<'a>,
    time: String,
}

#[derive(Serialize)]
struct FaultInner<'a> {
    #[serde(rename = "Error")]
    error: [FaultError<'a>; 1],
    #[serde(rename = "type")]
    kind: &'a str,
}

#[derive(Serialize)]
struct FaultError<'a> {
    #[serde(rename = "Message")]
    message: &'a str,
    #[serde(rename = "Detail")]
    detail: &'a str,
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    element: Option<&'a str>,
}

impl Company {
    pub fn new(
        realm_id: String,
        client_id: String,
        client_secret: String,
        base_url: String,
        clock: Clock,
    ) -> Self {
        let start = clock.now();
        Company {
            realm_id,
            client_id,
            client_secret,
            base_url,
            clock,
            last_stamp: start - chrono::Duration::days(20),
            objects: BTreeMap::new(),
            next_ids: HashMap::new(),
            attachments: HashMap::new(),
            preferences: Fields::new(),
            oauth: OAuth::default(),
            faults: VecDeque::new(),
            deny_next_consent: false,
            replays: HashMap::new(),
            stats: Stats::default(),
            writes: Vec::new(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The `time` of an answer: milliseconds and the company's offset.
    pub fn time_text(&self) -> String {
        self.now()
            .with_timezone(&zone())
            .to_rfc3339_opts(SecondsFormat::Millis, false)
    }

    /// The next `LastUpdatedTime`: now, or a second after the last one, so changes are strictly
    /// ordered.
    pub fn stamp(&mut self) -> DateTime<Utc> {
        let now = self.now();
        let now = Utc
            .timestamp_opt(now.timestamp(), 0)
            .single()
            .unwrap_or(now);
        let next = if now > self.last_stamp {
            now
        } else {
            self.last_stamp + chrono::Duration::seconds(1)
        };
        self.last_stamp = next;
        next
    }

    /// A past `LastUpdatedTime` for seeded objects, strictly after the previous seed.
    pub fn seed_stamp(&mut self, spacing_seconds: i64) -> DateTime<Utc> {
        let next = self.last_stamp + chrono::Duration::seconds(spacing_seconds.max(1));
        self.last_stamp = next;
        next
    }

    fn next_id(&mut self, entity: &'static str) -> u64 {
        let start = if entity == "Attachable" {
            5_000_000_000_000_000_001
        } else {
            1
        };
        let next = self.next_ids.entry(entity).or_insert(start);
        let id = *next;
        *next += 1;
        id
    }

    /// Stores a new object (seeding, or a create).
    pub fn insert(
        &mut self,
        entity: &'static str,
        id: Option<u64>,
        mut fields: Fields,
        at: DateTime<Utc>,
    ) -> u64 {
        for key in ["Id", "SyncToken", "MetaData", "domain", "sparse"] {
            fields.remove(key);
        }
        let id = match id {
            Some(id) => {
                let next = self.next_ids.entry(entity).or_insert(1);
                *next = (*next).max(id + 1);
                id
            }
            None => self.next_id(entity),
        };
        self.objects.insert(
            (entity, id),
            Obj {
                entity,
                id,
                sync_token: 0,
                created: at,
                updated: at,
                fields,
                deleted: false,
            },
        );
        id
    }

    pub fn get(&self, entity: &'static str, id: u64) -> Option<&Obj> {
        self.objects.get(&(entity, id)).filter(|o| !o.deleted)
    }

    /// An object as QuickBooks renders it.
    pub fn render(&self, obj: &Obj) -> String {
        let mut text = format!(
            "{{\"Id\":\"{}\",\"SyncToken\":\"{}\",\"domain\":\"QBO\",\"sparse\":false,\
             \"MetaData\":{{\"CreateTime\":\"{}\",\"LastUpdatedTime\":\"{}\"}}",
            obj.id,
            obj.sync_token,
            stamp_text(obj.created),
            stamp_text(obj.updated)
        );
        for (key, value) in &obj.fields {
            text.push(',');
            text.push_str(&json_string(key));
            text.push(':');
            text.push_str(value.get());
        }
        text.push('}');
        text
    }

    /// A deleted object as CDC lists it.
    fn render_deleted(&self, obj: &Obj) -> String {
        format!(
            "{{\"domain\":\"QBO\",\"status\":\"Deleted\",\"Id\":\"{}\",\"MetaData\":{{\"LastUpdatedTime\":\"{}\"}}}}",
            obj.id,
            stamp_text(obj.updated)
        )
    }

    fn envelope(&self, entity: &str, object: &str) -> String {
        format!(
            "{{{}:{object},\"time\":{}}}",
            json_string(entity),
            json_string(&self.time_text())
        )
    }

    /// A standard Fault body.
    pub fn fault(
        &self,
        kind: &str,
        code: &str,
        message: &str,
        detail: &str,
        element: Option<&str>,
    ) -> String {
        serde_json::to_string(&FaultBody {
            fault: FaultInner {
                error: [FaultError {
                    message,
                    detail,
                    code,
                    element,
                }],
                kind,
            },
            time: self.time_text(),
        })
        .unwrap_or_default()
    }

    fn validation(&self, code: &str, message: &str, detail: &str, element: Option<&str>) -> Answer {
        (
            400,
            self.fault("ValidationFault", code, message, detail, element),
        )
    }

    fn not_found(&self, what: &str) -> Answer {
        self.validation(
            "610",
            "Object Not Found",
            &format!(
                "Object Not Found : Something you're trying to use has been made inactive. Check \
                 the fields with accounts, customers, items, vendors or employees. ({what})"
            ),
            None,
        )
    }

    // ---- OAuth -------------------------------------------------------------------------------

    fn token_counter(&mut self) -> u64 {
        self.oauth.counter += 1;
        self.oauth.counter
    }

    /// The consent step: a code for `redirect_uri`.
    pub fn issue_code(&mut self, redirect_uri: &str) -> String {
        let n = self.token_counter();
        let code = format!("AB11-sandbox-{n:08}");
        let issued = self.now();
        self.oauth.codes.insert(
            code.clone(),
            Code {
                redirect_uri: redirect_uri.to_owned(),
                used: false,
                issued,
            },
        );
        code
    }

    fn oauth_error(error: &str, description: &str) -> Answer {
        (
            400,
            serde_json::json!({"error": error, "error_description": description}).to_string(),
        )
    }

    /// Issues a fresh access token (and the grant's current refresh token) as Intuit answers.
    fn token_answer(&mut self, grant: usize, hard: bool) -> Answer {
        let n = self.token_counter();
        let now = self.now();
        let access = format!("sandbox-at-{n:08}");
        let refresh = format!("RT1-sandbox-{n:08}");
        self.oauth.access.insert(
            access.clone(),
            Access {
                grant,
                expires: after(now, ACCESS_SECONDS),
            },
        );
        self.oauth.refresh.insert(refresh.clone(), grant);
        let entry = &mut self.oauth.grants[grant];
        entry.current_refresh = refresh.clone();
        entry.rolling_expires = after(now, REFRESH_ROLLING_SECONDS);
        let hard_left = (entry.hard_expires - now).num_seconds().max(0);
        let mut body = serde_json::json!({
            "token_type": "bearer",
            "access_token": access,
            "expires_in": ACCESS_SECONDS,
            "refresh_token": refresh,
            "x_refresh_token_expires_in": REFRESH_ROLLING_SECONDS,
        });
        if hard {
            body["x_refresh_token_hard_expires_in"] = serde_json::Value::from(hard_left);
        }
        (200, body.to_string())
    }

    /// The `authorization_code` grant: each code once, for its own redirect.
    pub fn exchange_code(&mut self, code: &str, redirect_uri: Option<&str>, hard: bool) -> Answer {
        self.stats.token_requests += 1;
        self.stats.code_exchanges += 1;
        let now = self.now();
        let Some(entry) = self.oauth.codes.get_mut(code) else {
            return Self::oauth_error("invalid_grant", "Invalid authorization code");
        };
        if entry.used {
            return Self::oauth_error("invalid_grant", "The authorization code was already used");
        }
        entry.used = true;
        if now > after(entry.issued, CODE_SECONDS) {
            return Self::oauth_error("invalid_grant", "The authorization code has expired");
        }
        if let Some(uri) = redirect_uri
            && uri != entry.redirect_uri
        {
            return Self::oauth_error(
                "invalid_grant",
                "redirect_uri does not match the one of the authorization request",
            );
        }
        self.oauth.grants.push(Grant {
            current_refresh: String::new(),
            revoked: false,
            rolling_expires: now,
            hard_expires: after(now, REFRESH_HARD_SECONDS),
        });
        let grant = self.oauth.grants.len() - 1;
        self.token_answer(grant, hard)
    }

    /// The `refresh_token` grant, rotating the refresh token every time: the previous value
    /// stops working at once (spec §1.5: design as if it does).
    pub fn refresh(&mut self, refresh_token: &str, hard: bool) -> Answer {
        self.stats.token_requests += 1;
        self.stats.refresh_requests += 1;
        let now = self.now();
        let usable = self.oauth.refresh.get(refresh_token).copied().filter(|g| {
            let grant = &self.oauth.grants[*g];
            !grant.revoked
                && grant.current_refresh == refresh_token
                && now < grant.rolling_expires
                && now < grant.hard_expires
        });
        match usable {
            Some(grant) => self.token_answer(grant, hard),
            None => {
                self.stats.refresh_rejected += 1;
                Self::oauth_error("invalid_grant", "Incorrect or invalid refresh token")
            }
        }
    }

    /// Revokes the grant a token belongs to (refresh or access). Unknown tokens are fine
    /// (RFC 7009).
    pub fn revoke(&mut self, token: &str) -> Answer {
        self.stats.revokes += 1;
        let grant = self
            .oauth
            .refresh
            .get(token)
            .copied()
            .or_else(|| self.oauth.access.get(token).map(|a| a.grant));
        if let Some(grant) = grant {
            self.oauth.grants[grant].revoked = true;
        }
        (200, String::new())
    }

    /// Every grant revoked: the user disconnected the app inside QuickBooks.
    pub fn revoke_all(&mut self) {
        for grant in &mut self.oauth.grants {
            grant.revoked = true;
        }
    }

    /// Every access token issued so far expires now.
    pub fn expire_access_tokens(&mut self) {
        let past = self.now() - chrono::Duration::seconds(1);
        for access in self.oauth.access.values_mut() {
            access.expires = past;
        }
    }

    /// Checks a bearer token.
    pub fn check_access(&self, bearer: Option<&str>) -> Result<(), AccessProblem> {
        let token = bearer.ok_or(AccessProblem::Missing)?;
        let access = self.oauth.access.get(token).ok_or(AccessProblem::Unknown)?;
        if self.oauth.grants[access.grant].revoked {
            return Err(AccessProblem::Revoked);
        }
        if self.now() >= access.expires {
            return Err(AccessProblem::Expired);
        }
        Ok(())
    }

    // ---- writes ------------------------------------------------------------------------------

    fn string_field(fields: &Fields, key: &str) -> Option<String> {
        fields
            .get(key)
            .and_then(|v| serde_json::from_str::<String>(v.get()).ok())
    }

    fn name_taken(&self, entity: &'static str, key: &str, name: &str, except: Option<u64>) -> bool {
        self.objects.values().any(|o| {
            o.entity == entity
                && !o.deleted
                && Some(o.id) != except
                && Self::string_field(&o.fields, key).is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
    }

    /// Business rules the sandbox enforces on a create or update's resulting fields.
    fn validate(
        &self,
        entity: &'static str,
        fields: &Fields,
        except: Option<u64>,
    ) -> Option<Answer> {
        let unique = match entity {
            "Customer" => Some("DisplayName"),
            "Item" => Some("Name"),
            _ => None,
        };
        if let Some(key) = unique {
            let Some(name) = Self::string_field(fields, key).filter(|n| !n.trim().is_empty())
            else {
                return Some(self.validation(
                    "2020",
                    "Required param missing, need to supply the required value for the API",
                    &format!("Required parameter {key} is missing in the request"),
                    Some(key),
                ));
            };
            if self.name_taken(entity, key, &name, except) {
                return Some(self.validation(
                    "6240",
                    "Duplicate Name Exists Error",
                    "The name supplied already exists. : null",
                    None,
                ));
            }
        }
        if SALES_TXNS.contains(&entity) {
            for key in ["CustomerRef", "Line"] {
                if !fields.contains_key(key) {
                    return Some(self.validation(
                        "2020",
                        "Required param missing, need to supply the required value for the API",
                        &format!("Required parameter {key} is missing in the request"),
                        Some(key),
                    ));
                }
            }
        }
        if let Some(note) = Self::string_field(fields, "PrivateNote")
            && note.chars().count() > 4000
        {
            return Some(self.validation(
                "2050",
                "String length is either shorter or longer than supported by specification",
                &format!(
                    "Min:0 Max:4000 supported. Supplied length:{}",
                    note.chars().count()
                ),
                Some("PrivateNote"),
            ));
        }
        None
    }

    /// `POST /{entity}[?operation=delete]`: create (no `Id`), sparse or full update, delete.
    pub fn write(&mut self, entity: &'static str, body: &str, operation: Option<&str>) -> Answer {
        let Ok(mut fields) = serde_json::from_str::<Fields>(body) else {
            return self.validation(
                "2010",
                "Request has invalid or unsupported property",
                "The request body is not a JSON object",
                None,
            );
        };
        let id = Self::string_field(&fields, "Id");
        let sync_token = Self::string_field(&fields, "SyncToken");
        let sparse = fields
            .get("sparse")
            .is_some_and(|v| v.get().trim() == "true");
        for key in ["Id", "SyncToken", "MetaData", "domain", "sparse"] {
            fields.remove(key);
        }
        let Some(id) = id else {
            if operation.is_some() {
                return self.validation(
                    "2020",
                    "Required param missing",
                    "Id is required",
                    Some("Id"),
                );
            }
            if let Some(problem) = self.validate(entity, &fields, None) {
                return problem;
            }
            let at = self.stamp();
            let id = self.insert(entity, None, fields, at);
            self.record_write("create", entity, id);
            let obj = self.objects[&(entity, id)].clone();
            return (200, self.envelope(entity, &self.render(&obj)));
        };
        let Some(numeric) = id
            .parse::<u64>()
            .ok()
            .filter(|n| self.get(entity, *n).is_some())
        else {
            return self.not_found(&format!("{entity} {id}"));
        };
        let current = self.objects[&(entity, numeric)].sync_token;
        let Some(sync_token) = sync_token else {
            return self.validation(
                "2020",
                "Required param missing, need to supply the required value for the API",
                "Required parameter SyncToken is missing in the request",
                Some("SyncToken"),
            );
        };
        if sync_token != current.to_string() {
            return self.validation(
                "5010",
                "Stale Object Error",
                "Stale Object Error : You and QuickBooks Sandbox were working on this at the same \
                 time. QuickBooks Sandbox finished before you did, so your work was not saved.",
                None,
            );
        }
        if operation == Some("delete") {
            let at = self.stamp();
            let obj = self
                .objects
                .get_mut(&(entity, numeric))
                .expect("checked above");
            obj.deleted = true;
            obj.sync_token += 1;
            obj.updated = at;
            self.record_write("delete", entity, numeric);
            let object =
                format!("{{\"domain\":\"QBO\",\"status\":\"Deleted\",\"Id\":\"{numeric}\"}}");
            return (200, self.envelope(entity, &object));
        }
        if let Some(op) = operation {
            return self.validation(
                "2010",
                "Request has invalid or unsupported property",
                &format!("operation={op} is not supported by the sandbox"),
                None,
            );
        }
        let mut next = if sparse {
            self.objects[&(entity, numeric)].fields.clone()
        } else {
            Fields::new()
        };
        next.extend(fields);
        if let Some(problem) = self.validate(entity, &next, Some(numeric)) {
            return problem;
        }
        let at = self.stamp();
        let obj = self
            .objects
            .get_mut(&(entity, numeric))
            .expect("checked above");
        obj.fields = next;
        obj.sync_token += 1;
        obj.updated = at;
        self.record_write(
            if sparse {
                "sparse update"
            } else {
                "full update"
            },
            entity,
            numeric,
        );
        let obj = self.objects[&(entity, numeric)].clone();
        (200, self.envelope(entity, &self.render(&obj)))
    }

    fn record_write(&mut self, operation: &str, entity: &'static str, id: u64) {
        self.stats.writes += 1;
        let sync_token = self
            .objects
            .get(&(entity, id))
            .map(|o| o.sync_token.to_string())
            .unwrap_or_default();
        self.writes.push(WriteRecord {
            operation: operation.to_owned(),
            entity: entity.to_owned(),
            id: id.to_string(),
            sync_token,
            request_id: None,
        });
    }

    /// Tags the last write with the requestid it came with.
    pub fn tag_last_write(&mut self, request_id: &str, writes_before: usize) {
        for write in self.writes.iter_mut().skip(writes_before) {
            write.request_id = Some(request_id.to_owned());
        }
    }

    // ---- batch -------------------------------------------------------------------------------

    /// `POST /batch` (spec §2.3, §6.1): `{"BatchItemRequest": [{"bId": …, "Query": "SELECT …"}
    /// | {"bId": …, "operation": "create" | "update" | "delete", "<Entity>": {…}}]}`, each item
    /// run on its own through the query engine or [`Self::write`], each answered in
    /// `BatchItemResponse` by its `bId`: its `QueryResponse`, its entity, or its `Fault` (a
    /// 610, a 5010 …) inside the 200. More than [`MAX_BATCH_ITEMS`] items: a 400 Fault for the
    /// whole batch, nothing run. Items run in the order sent (QuickBooks does not promise one).
    pub fn batch(&mut self, body: &str) -> Answer {
        self.stats.batches += 1;
        #[derive(Deserialize)]
        struct Request {
            #[serde(rename = "BatchItemRequest")]
            items: Vec<Fields>,
        }
        let Ok(request) = serde_json::from_str::<Request>(body) else {
            return self.validation(
                "2010",
                "Request has invalid or unsupported property",
                "The batch body is not {\"BatchItemRequest\": [...]}",
                None,
            );
        };
        if request.items.len() > MAX_BATCH_ITEMS {
            return self.validation(
                "2010",
                "Request has invalid or unsupported property",
                &format!(
                    "A batch holds at most {MAX_BATCH_ITEMS} items, not {}",
                    request.items.len()
                ),
                Some("BatchItemRequest"),
            );
        }
        let mut answers = Vec::with_capacity(request.items.len());
        for item in &request.items {
            let text = |key: &str| {
                item.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .and_then(|(_, v)| serde_json::from_str::<String>(v.get()).ok())
            };
            let b_id = text("bId").unwrap_or_default();
            let (status, answer) = if let Some(statement) = text("Query") {
                self.query(&statement)
            } else if let Some((entity, object)) = item
                .iter()
                .find_map(|(k, v)| canonical(k).map(|e| (e, v.get().to_owned())))
            {
                let operation = text("operation").unwrap_or_default().to_ascii_lowercase();
                match operation.as_str() {
                    "create" | "update" => self.write(entity, &object, None),
                    "delete" => self.write(entity, &object, Some("delete")),
                    other => self.validation(
                        "2010",
                        "Request has invalid or unsupported property",
                        &format!("{other:?} is not a batch operation"),
                        Some("operation"),
                    ),
                }
            } else {
                self.validation(
                    "2010",
                    "Request has invalid or unsupported property",
                    "A batch item needs a Query or an entity with an operation",
                    None,
                )
            };
            // The item's answer: the single call's envelope without its `time`, with the bId.
            let mut fields: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&answer).unwrap_or_default();
            fields.remove("time");
            if status != 200 && !fields.contains_key("Fault") {
                fields.clear();
                let fault: serde_json::Value = serde_json::from_str(&self.fault(
                    "SystemFault",
                    "10000",
                    "An application error has occurred while processing your request",
                    "The batch item failed",
                    None,
                ))
                .unwrap_or_default();
                fields.insert("Fault".into(), fault["Fault"].clone());
            }
            fields.insert("bId".into(), b_id.into());
            answers.push(serde_json::Value::Object(fields));
        }
        (
            200,
            format!(
                "{{\"BatchItemResponse\":{},\"time\":{}}}",
                serde_json::Value::Array(answers),
                json_string(&self.time_text())
            ),
        )
    }

    // ---- uploads -----------------------------------------------------------------------------

    /// `POST /upload`: each `file_content_NN` with its optional `file_metadata_NN`; failures
    /// per file as a Fault inside the 200.
    pub fn upload(&mut self, parts: &[UploadPart]) -> Answer {
        let mut results = Vec::new();
        for content in parts.iter().filter(|p| p.name.starts_with("file_content_")) {
            let suffix = &content.name["file_content_".len()..];
            let metadata = parts
                .iter()
                .find(|p| p.name == format!("file_metadata_{suffix}"));
            results.push(self.upload_one(content, metadata));
        }
        if results.is_empty() {
            return self.validation(
                "2010",
                "Request has invalid or unsupported property",
                "The upload has no file_content_NN part",
                None,
            );
        }
        (
            200,
            format!(
                "{{\"AttachableResponse\":[{}],\"time\":{}}}",
                results.join(","),
                json_string(&self.time_text())
            ),
        )
    }

    fn upload_one(&mut self, content: &UploadPart, metadata: Option<&UploadPart>) -> String {
        // `{"Fault": {...}, "time": ...}` serves as an upload result element as it is.
        let item_fault = |company: &Company, code: &str, message: &str, detail: &str| {
            company.fault("ValidationFault", code, message, detail, None)
        };
        let mut fields = match metadata {
            Some(part) => match serde_json::from_slice::<Fields>(&part.bytes) {
                Ok(fields) => fields,
                Err(e) => {
                    return item_fault(
                        self,
                        "2010",
                        "Request has invalid or unsupported property",
                        &format!("file_metadata is not an Attachable: {e}"),
                    );
                }
            },
            None => Fields::new(),
        };
        let content_type = content
            .content_type
            .clone()
            .unwrap_or_else(|| "application/octet-stream".to_owned());
        const ALLOWED: &[&str] = &[
            "application/pdf",
            "image/png",
            "image/jpeg",
            "image/jpg",
            "image/gif",
            "image/tiff",
            "text/plain",
            "text/csv",
            "text/xml",
            "application/xml",
        ];
        if !ALLOWED.contains(&content_type.as_str()) {
            return item_fault(
                self,
                "2010",
                "Request has invalid or unsupported property",
                &format!("Unsupported file type {content_type}"),
            );
        }
        if let Some(links) = fields.get("AttachableRef") {
            let links: Vec<LinkRef> = serde_json::from_str(links.get()).unwrap_or_default();
            for link in links.iter().filter_map(|l| l.entity_ref.as_ref()) {
                let target = canonical(&link.kind)
                    .zip(link.value.parse::<u64>().ok())
                    .filter(|(e, id)| self.get(e, *id).is_some());
                if target.is_none() {
                    return item_fault(
                        self,
                        "610",
                        "Object Not Found",
                        &format!(
                            "Object Not Found : the attachment refers to {} {}, which does not \
                             exist",
                            link.kind, link.value
                        ),
                    );
                }
            }
        }
        if !fields.contains_key("FileName") {
            let name = content
                .file_name
                .clone()
                .unwrap_or_else(|| "file".to_owned());
            fields.insert("FileName".to_owned(), raw(json_string(&name)));
        }
        fields.insert("ContentType".to_owned(), raw(json_string(&content_type)));
        fields.insert("Size".to_owned(), raw(content.bytes.len().to_string()));
        let at = self.stamp();
        let id = self.insert("Attachable", None, fields, at);
        let access = format!("/v3/company/{}/download/{id}", self.realm_id);
        let temp = format!("{}/sandbox-files/{id}", self.base_url);
        if let Some(obj) = self.objects.get_mut(&("Attachable", id)) {
            obj.fields
                .insert("FileAccessUri".to_owned(), raw(json_string(&access)));
            obj.fields
                .insert("TempDownloadUri".to_owned(), raw(json_string(&temp)));
        }
        self.attachments.insert(id, content.bytes.clone());
        self.stats.uploads += 1;
        self.record_write("upload", "Attachable", id);
        let obj = self.objects[&("Attachable", id)].clone();
        format!("{{\"Attachable\":{}}}", self.render(&obj))
    }

    // ---- reads -------------------------------------------------------------------------------

    /// `GET /{entity}/{id}`.
    pub fn read(&self, entity: &'static str, id: &str) -> Answer {
        match id.parse::<u64>().ok().and_then(|n| self.get(entity, n)) {
            Some(obj) => (200, self.envelope(entity, &self.render(obj))),
            None => self.not_found(&format!("{entity} {id}")),
        }
    }

    /// `GET /preferences`.
    pub fn read_preferences(&self) -> Answer {
        (
            200,
            self.envelope("Preferences", &self.render_preferences()),
        )
    }

    fn render_preferences(&self) -> String {
        let mut text = String::from("{\"Id\":\"1\",\"SyncToken\":\"0\",\"domain\":\"QBO\"");
        for (key, value) in &self.preferences {
            text.push(',');
            text.push_str(&json_string(key));
            text.push(':');
            text.push_str(value.get());
        }
        text.push('}');
        text
    }

    fn time_value(text: &str) -> Result<DateTime<Utc>, QueryError> {
        if let Ok(t) = DateTime::parse_from_rfc3339(text.trim()) {
            return Ok(t.with_timezone(&Utc));
        }
        if let Ok(d) = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            && let Some(t) = d
                .and_hms_opt(0, 0, 0)
                .and_then(|t| zone().from_local_datetime(&t).single())
        {
            return Ok(t.with_timezone(&Utc));
        }
        Err(QueryError {
            code: "4001",
            detail: format!("QueryValidationError: {text:?} is not a date or date-time"),
        })
    }

    fn field_text(obj: &Obj, field: &str) -> Option<String> {
        let (_, value) = obj
            .fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(field))?;
        let text = value.get().trim();
        if text.starts_with('"') {
            serde_json::from_str::<String>(text).ok()
        } else {
            Some(text.to_owned())
        }
    }

    fn matches(&self, obj: &Obj, condition: &query::Condition) -> Result<bool, QueryError> {
        let op = condition.op;
        let field = condition.field.to_ascii_lowercase();
        let any = |test: &dyn Fn(&str) -> Result<bool, QueryError>| -> Result<bool, QueryError> {
            for value in &condition.values {
                if test(value)? {
                    return Ok(true);
                }
            }
            Ok(false)
        };
        match field.as_str() {
            "id" => any(&|v| {
                Ok(v.parse::<u64>()
                    .is_ok_and(|want| query::compare(&obj.id, op, &want)))
            }),
            "metadata.lastupdatedtime" | "metadata.createtime" => {
                let have = if field.ends_with("createtime") {
                    obj.created
                } else {
                    obj.updated
                };
                any(&|v| Ok(query::compare(&have, op, &Self::time_value(v)?)))
            }
            "attachableref.entityref.type" | "attachableref.entityref.value" => {
                let links: Vec<LinkRef> = obj
                    .fields
                    .get("AttachableRef")
                    .and_then(|v| serde_json::from_str(v.get()).ok())
                    .unwrap_or_default();
                let by_type = field.ends_with("type");
                any(&|v| {
                    Ok(links.iter().filter_map(|l| l.entity_ref.as_ref()).any(|r| {
                        if by_type {
                            r.kind.eq_ignore_ascii_case(v)
                        } else {
                            r.value == v
                        }
                    }))
                })
            }
            _ => {
                let Some(have) = Self::field_text(obj, &condition.field) else {
                    return Ok(false);
                };
                any(&|v| {
                    Ok(if op == Op::Like {
                        query::like(&have, v)
                    } else {
                        query::compare(&have.as_str(), op, &v)
                    })
                })
            }
        }
    }

    /// `GET /query?query=…` (or `POST /query` with the statement as the body).
    pub fn query(&self, text: &str) -> Answer {
        let statement = match query::parse(text) {
            Ok(s) => s,
            Err(e) => return self.query_fault(&e),
        };
        if statement.entity.eq_ignore_ascii_case("Preferences") {
            return (
                200,
                format!(
                    "{{\"QueryResponse\":{{\"Preferences\":[{}],\"startPosition\":1,\"maxResults\":1}},\"time\":{}}}",
                    self.render_preferences(),
                    json_string(&self.time_text())
                ),
            );
        }
        let Some(entity) = canonical(&statement.entity) else {
            return self.query_fault(&QueryError {
                code: "4001",
                detail: format!(
                    "QueryValidationError: {} is not an entity the sandbox keeps",
                    statement.entity
                ),
            });
        };
        let mut rows = Vec::new();
        for obj in self
            .objects
            .values()
            .filter(|o| o.entity == entity && !o.deleted)
        {
            let mut keep = true;
            for condition in &statement.conditions {
                match self.matches(obj, condition) {
                    Ok(true) => {}
                    Ok(false) => {
                        keep = false;
                        break;
                    }
                    Err(e) => return self.query_fault(&e),
                }
            }
            if keep {
                rows.push(obj);
            }
        }
        if statement.count {
            return (
                200,
                format!(
                    "{{\"QueryResponse\":{{\"totalCount\":{}}},\"time\":{}}}",
                    rows.len(),
                    json_string(&self.time_text())
                ),
            );
        }
        if let Some((field, descending)) = &statement.order_by {
            let key = field.to_ascii_lowercase();
            rows.sort_by(|a, b| {
                let order = match key.as_str() {
                    "metadata.lastupdatedtime" => a.updated.cmp(&b.updated),
                    "metadata.createtime" => a.created.cmp(&b.created),
                    "id" => a.id.cmp(&b.id),
                    _ => Self::field_text(a, field).cmp(&Self::field_text(b, field)),
                }
                .then(a.id.cmp(&b.id));
                if *descending { order.reverse() } else { order }
            });
        }
        let page: Vec<String> = rows
            .into_iter()
            .skip(statement.start_position - 1)
            .take(statement.max_results)
            .map(|o| self.render(o))
            .collect();
        let time = json_string(&self.time_text());
        if page.is_empty() {
            return (200, format!("{{\"QueryResponse\":{{}},\"time\":{time}}}"));
        }
        (
            200,
            format!(
                "{{\"QueryResponse\":{{{}:[{}],\"startPosition\":{},\"maxResults\":{}}},\"time\":{time}}}",
                json_string(entity),
                page.join(","),
                statement.start_position,
                page.len()
            ),
        )
    }

    fn query_fault(&self, e: &QueryError) -> Answer {
        let message = if e.code == "4000" {
            "Error parsing query"
        } else {
            "Invalid query"
        };
        self.validation(e.code, message, &e.detail, None)
    }

    /// `GET /cdc?entities=…&changedSince=…`: up to 30 days back, at most 1000 objects, grouped
    /// by entity, active objects first then deletions, no paging (spec §3.1).
    pub fn cdc(&self, entities: &str, changed_since: &str) -> Answer {
        let since = match Self::time_value(changed_since) {
            Ok(t) => t,
            Err(e) => {
                return self.validation("4001", "Invalid query", &e.detail, Some("changedSince"));
            }
        };
        if since < self.now() - chrono::Duration::days(CDC_MAX_DAYS) {
            return self.validation(
                "4001",
                "Invalid query",
                "QueryValidationError: changedSince may be at most 30 days in the past",
                Some("changedSince"),
            );
        }
        let mut names = Vec::new();
        for name in entities.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match canonical(name) {
                Some("TaxCode" | "TaxRate") | None => {
                    return self.validation(
                        "4001",
                        "Invalid query",
                        &format!(
                            "QueryValidationError: {name} is not supported by change data capture"
                        ),
                        Some("entities"),
                    );
                }
                Some(entity) => names.push(entity),
            }
        }
        if names.is_empty() {
            return self.validation(
                "2020",
                "Required param missing",
                "entities",
                Some("entities"),
            );
        }
        let mut left = CDC_MAX_OBJECTS;
        let mut groups = Vec::new();
        for entity in names {
            let mut changed: Vec<&Obj> = self
                .objects
                .values()
                .filter(|o| o.entity == entity && o.updated >= since)
                .collect();
            changed.sort_by(|a, b| {
                a.deleted
                    .cmp(&b.deleted)
                    .then(a.updated.cmp(&b.updated))
                    .then(a.id.cmp(&b.id))
            });
            let rendered: Vec<String> = changed
                .into_iter()
                .take(left)
                .map(|o| {
                    if o.deleted {
                        self.render_deleted(o)
                    } else {
                        self.render(o)
                    }
                })
                .collect();
            left -= rendered.len();
            if !rendered.is_empty() {
                groups.push(format!(
                    "{{{}:[{}],\"startPosition\":1,\"maxResults\":{}}}",
                    json_string(entity),
                    rendered.join(","),
                    rendered.len()
                ));
            }
        }
        if groups.is_empty() {
            groups.push("{}".to_owned());
        }
        (
            200,
            format!(
                "{{\"CDCResponse\":[{{\"QueryResponse\":[{}]}}],\"time\":{}}}",
                groups.join(","),
                json_string(&self.time_text())
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::{Clock, Company, MAX_BATCH_ITEMS};
    use crate::seed;

    fn company() -> Company {
        let mut company = Company::new(
            "9130".into(),
            "client".into(),
            "secret".into(),
            "http://127.0.0.1:1".into(),
            Clock {
                fixed: Some("2026-03-02T09:00:00Z".parse().unwrap()),
                offset: chrono::Duration::zero(),
            },
        );
        seed::reference_data(&mut company);
        seed::customers(&mut company, 2);
        seed::items(&mut company, 2);
        seed::transactions(&mut company, seed::TxnKind::Invoice, 3);
        company
    }

    fn items(answer: &str) -> Vec<serde_json::Value> {
        let v: serde_json::Value = serde_json::from_str(answer).unwrap();
        v["BatchItemResponse"].as_array().unwrap().clone()
    }

    #[test]
    fn a_batch_answers_each_item_by_its_bid_and_a_failed_item_alone() {
        let mut c = company();
        let ids: Vec<u64> = c
            .objects
            .keys()
            .filter(|(e, _)| *e == "Invoice")
            .map(|(_, id)| *id)
            .collect();
        let (a, b) = (ids[0], ids[1]);
        let token = c.objects[&("Invoice", a)].sync_token;
        let body = serde_json::json!({"BatchItemRequest": [
            {"bId": "q1", "Query": format!("SELECT * FROM Invoice WHERE Id IN ('{a}', '{b}')")},
            {"bId": "q2", "Query": "SELECT * FROM Nonsense"},
            {"bId": "u1", "operation": "update", "Invoice":
                {"Id": a.to_string(), "SyncToken": token.to_string(), "sparse": true,
                 "PrivateNote": "batched"}},
            {"bId": "u2", "operation": "update", "Invoice":
                {"Id": b.to_string(), "SyncToken": "99", "sparse": true, "PrivateNote": "x"}},
        ]});
        let (status, answer) = c.batch(&body.to_string());
        assert_eq!(status, 200, "{answer}");
        let items = items(&answer);
        assert_eq!(items.len(), 4);
        assert_eq!(items[0]["bId"], "q1");
        assert_eq!(
            items[0]["QueryResponse"]["Invoice"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(items[1]["bId"], "q2");
        assert!(
            items[1]["Fault"]["Error"][0]["code"].is_string(),
            "{answer}"
        );
        assert_eq!(items[2]["Invoice"]["PrivateNote"], "batched");
        assert_eq!(items[3]["Fault"]["Error"][0]["code"], "5010", "{answer}");
        assert_eq!(c.stats.batches, 1);
        assert_eq!(c.stats.writes, 1, "only the good update was applied");
    }

    #[test]
    fn more_than_thirty_items_are_refused_whole() {
        let mut c = company();
        let list: Vec<_> = (0..=MAX_BATCH_ITEMS)
            .map(|i| serde_json::json!({"bId": i.to_string(), "Query": "SELECT * FROM Invoice"}))
            .collect();
        let (status, answer) =
            c.batch(&serde_json::json!({ "BatchItemRequest": list }).to_string());
        assert_eq!(status, 400, "{answer}");
        assert!(answer.contains("at most 30 items"), "{answer}");
        let ok: Vec<_> = (0..MAX_BATCH_ITEMS)
            .map(|i| serde_json::json!({"bId": i.to_string(), "Query": "SELECT * FROM Invoice"}))
            .collect();
        let (status, answer) = c.batch(&serde_json::json!({ "BatchItemRequest": ok }).to_string());
        assert_eq!(status, 200);
        assert_eq!(items(&answer).len(), MAX_BATCH_ITEMS);
    }
}
