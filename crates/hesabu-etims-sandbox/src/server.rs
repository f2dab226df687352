//! The HTTP side: routes, the two gateways' shapes, the integrator's token endpoint, fault
//! injection, and a listener that can cut a connection (a dropped answer).
//!
//! - Legacy: `POST /etims-api/<spec name>` with the `tin`, `bhfId`, `cmcKey` headers; the bare
//!   `{resultCd, resultMsg, resultDt, data}` envelope, always HTTP 200.
//! - Integrator: `GET|POST /v1/token/generate?grant_type=client_credentials` with HTTP Basic
//!   gives a bearer token; `POST /etims-oscu/api/v1/<renamed path>` with the bearer and the
//!   device headers; answers wrapped in `{responseHeader, responseBody}`, validation failures
//!   as HTTP 400 with `responseBody: null`, a bad token as HTTP 401.
//! - `GET /_sandbox/signed` and `GET /_sandbox/received`: what was signed and received, for a
//!   test in another process to count duplicates.
//!
//! Paths come from the client's own table (`hesabu_etims::Endpoint`), so the two cannot drift.

use std::collections::HashMap;
use std::net::Shutdown;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::{IncomingStream, Listener};
use hesabu_etims::Endpoint;
use serde::Serialize;
use serde_json::value::RawValue;
use tokio::net::{TcpListener, TcpStream};

use crate::Profile;
use crate::faults::{self, Fault, ReceivedCall};
use crate::kra::{Answer, Call, Kra};

/// The state every request sees.
#[derive(Debug)]
pub(crate) struct Shared {
    pub kra: Mutex<Kra>,
    pub profiles: Vec<Profile>,
}

/// One accepted connection: a second handle on its socket, to cut it with.
#[derive(Debug, Clone)]
pub(crate) struct Peer {
    socket: Option<Arc<std::net::TcpStream>>,
}

impl Peer {
    /// Closes the connection at once, without an answer: the client sees it drop.
    fn cut(&self) {
        if let Some(socket) = &self.socket {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }
}

impl Connected<IncomingStream<'_, CuttableListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, CuttableListener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// A TCP listener whose connections a handler can cut ([`Peer::cut`]).
#[derive(Debug)]
pub(crate) struct CuttableListener(pub TcpListener);

impl Listener for CuttableListener {
    type Io = TcpStream;
    type Addr = Peer;

    async fn accept(&mut self) -> (TcpStream, Peer) {
        loop {
            let accepted = match self.0.accept().await {
                Ok((stream, _)) => split(stream).map(|(stream, dup)| {
                    (
                        stream,
                        Peer {
                            socket: Some(Arc::new(dup)),
                        },
                    )
                }),
                Err(e) => Err(e),
            };
            match accepted {
                Ok(pair) => return pair,
                // Out of file descriptors and the like: wait rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Peer> {
        self.0.local_addr().map(|_| Peer { socket: None })
    }
}

/// The stream, and a duplicate handle on the same socket.
fn split(stream: TcpStream) -> std::io::Result<(TcpStream, std::net::TcpStream)> {
    let std_stream = stream.into_std()?;
    let dup = std_stream.try_clone()?;
    Ok((TcpStream::from_std(std_stream)?, dup))
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/etims-api/{*path}", post(legacy))
        .route("/etims-oscu/api/v1/{*path}", post(integrator))
        .route("/v1/token/generate", get(token).post(token))
        .route("/_sandbox/signed", get(admin_signed))
        .route("/_sandbox/received", get(admin_received))
        .with_state(shared)
}

async fn legacy(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    oscu(&shared, &peer, Profile::Legacy, &path, &headers, body).await
}

async fn integrator(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    oscu(&shared, &peer, Profile::Integrator, &path, &headers, body).await
}

fn not_found(what: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{what} is not an endpoint of this e-TIMS sandbox\n"),
    )
        .into_response()
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
}

async fn oscu(
    shared: &Shared,
    peer: &Peer,
    profile: Profile,
    path: &str,
    headers: &HeaderMap,
    body: String,
) -> Response {
    let path = path.trim_matches('/');
    let endpoint = Endpoint::ALL.into_iter().find(|e| match profile {
        Profile::Legacy => e.legacy_path() == path,
        Profile::Integrator => e.integrator_path() == path,
    });
    let (Some(endpoint), true) = (endpoint, shared.profiles.contains(&profile)) else {
        return not_found(path);
    };
    let call = Call {
        profile: Some(profile),
        endpoint: Some(endpoint),
        tin: header_text(headers, "tin"),
        bhf_id: header_text(headers, "bhfid"),
        cmc_key: header_text(headers, "cmckey"),
        authorization: header_text(headers, "authorization"),
        body,
    };
    let (index, fault, latency) = {
        let mut kra = shared.kra.lock().unwrap();
        let fault = faults::take(&mut kra.faults, endpoint);
        let seq = kra.received.len() as u64 + 1;
        kra.received.push(ReceivedCall {
            seq,
            profile,
            endpoint,
            tin: call.tin.clone(),
            bhf_id: call.bhf_id.clone(),
            body: call.body.clone(),
            fault: fault.clone(),
            outcome: String::new(),
        });
        (kra.received.len() - 1, fault, kra.latency)
    };
    let outcome = |text: &str| {
        shared.kra.lock().unwrap().received[index].outcome = text.to_owned();
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let answer = match &fault {
        Some(Fault::Delay(wait)) => {
            tokio::time::sleep(*wait).await;
            None
        }
        Some(Fault::Drop) => {
            outcome("dropped");
            peer.cut();
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        Some(Fault::Http(status)) => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            outcome(&format!("HTTP {}", status.as_u16()));
            return (
                status,
                [(header::CONTENT_TYPE, "text/html")],
                format!(
                    "<html><body><h1>{status}</h1>e-TIMS sandbox: injected failure</body></html>"
                ),
            )
                .into_response();
        }
        Some(Fault::ResultCd(code)) => Some(Answer::kra(
            code,
            hesabu_etims::result::describe(code).unwrap_or("Unknown error, ask the administrator"),
        )),
        Some(Fault::AcceptThenDrop | Fault::AcceptThenStall(_)) | None => None,
    };
    let (status, text, result) = {
        let mut kra = shared.kra.lock().unwrap();
        let answer = answer.unwrap_or_else(|| kra.process(&call));
        render(&mut kra, profile, answer)
    };
    match &fault {
        Some(Fault::AcceptThenDrop) => {
            outcome(&format!("{result}, then dropped"));
            peer.cut();
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        Some(Fault::AcceptThenStall(wait)) => {
            outcome(&format!("{result}, answered late"));
            tokio::time::sleep(*wait).await;
        }
        _ => outcome(&result),
    }
    (status, [(header::CONTENT_TYPE, "application/json")], text).into_response()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    result_cd: &'a str,
    result_msg: &'a str,
    result_dt: &'a str,
    data: Option<&'a RawValue>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Wrapped<'a> {
    response_header: GatewayHeader<'a>,
    response_body: Option<&'a RawValue>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GatewayHeader<'a> {
    response_code: u16,
    #[serde(rename = "responseRefID")]
    response_ref_id: &'a str,
    customer_message: &'a str,
    debug_message: &'a str,
}

/// Writes an answer in the gateway's shape: (status, body, outcome for the record).
fn render(kra: &mut Kra, profile: Profile, answer: Answer) -> (StatusCode, String, String) {
    let result_dt = kra.result_dt();
    let reference = kra.next_ref();
    let gateway_error = |status: StatusCode, message: &str| {
        let wrapped = Wrapped {
            response_header: GatewayHeader {
                response_code: status.as_u16(),
                response_ref_id: &reference,
                customer_message: message,
                debug_message: message,
            },
            response_body: None,
        };
        (
            status,
            serde_json::to_string(&wrapped).expect("an answer serialises"),
            format!("HTTP {}: {message}", status.as_u16()),
        )
    };
    let (code, message, data): (String, String, Option<String>) = match answer {
        Answer::Ok { code, data } => {
            let message = if code == "001" {
                "There is no search result"
            } else {
                "Successful"
            };
            (code.to_owned(), message.to_owned(), data)
        }
        Answer::Kra { code, message } => (code, message, None),
        Answer::Invalid(message) => match profile {
            Profile::Legacy => ("910".to_owned(), message, None),
            Profile::Integrator => return gateway_error(StatusCode::BAD_REQUEST, &message),
        },
        Answer::Unauthorized(message) => match profile {
            // Legacy has no tokens; a legacy call never gets here.
            Profile::Legacy => ("900".to_owned(), message, None),
            Profile::Integrator => return gateway_error(StatusCode::UNAUTHORIZED, &message),
        },
    };
    let raw = data.map(|d| RawValue::from_string(d).expect("handlers write JSON"));
    let envelope = serde_json::to_string(&Envelope {
        result_cd: &code,
        result_msg: &message,
        result_dt: &result_dt,
        data: raw.as_deref(),
    })
    .expect("an envelope serialises");
    let text = match profile {
        Profile::Legacy => envelope,
        Profile::Integrator => {
            let body = RawValue::from_string(envelope).expect("an envelope is JSON");
            serde_json::to_string(&Wrapped {
                response_header: GatewayHeader {
                    response_code: 200,
                    response_ref_id: &reference,
                    customer_message: &message,
                    debug_message: "",
                },
                response_body: Some(&body),
            })
            .expect("a wrapped answer serialises")
        }
    };
    (StatusCode::OK, text, code)
}

/// The integrator's OAuth client-credentials token endpoint (spec §2, §15).
async fn token(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if !shared.profiles.contains(&Profile::Integrator) {
        return not_found("v1/token/generate");
    }
    let json = |status: StatusCode, body: String| {
        (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
    };
    if query.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return json(
            StatusCode::BAD_REQUEST,
            r#"{"ErrorCode":"invalid_request","Error":"Unsupported grant type : use grant_type=client_credentials"}"#.to_owned(),
        );
    }
    let issued = shared
        .kra
        .lock()
        .unwrap()
        .issue_token(header_text(&headers, "authorization").as_deref());
    match issued {
        Ok((token, lifetime)) => json(
            StatusCode::OK,
            format!(
                r#"{{"access_token":"{token}","token_type":"BearerToken","expires_in":"{lifetime}"}}"#
            ),
        ),
        Err(message) => json(
            StatusCode::UNAUTHORIZED,
            format!(r#"{{"ErrorCode":"invalid_client","Error":"{message}"}}"#),
        ),
    }
}

async fn admin_signed(State(shared): State<Arc<Shared>>) -> Response {
    let signed = shared.kra.lock().unwrap().signed.clone();
    axum::Json(serde_json::json!({ "signed": signed })).into_response()
}

async fn admin_received(State(shared): State<Arc<Shared>>) -> Response {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Row {
        seq: u64,
        profile: Profile,
        endpoint: &'static str,
        fault: Option<String>,
        outcome: String,
    }
    let rows: Vec<Row> = shared
        .kra
        .lock()
        .unwrap()
        .received
        .iter()
        .map(|r| Row {
            seq: r.seq,
            profile: r.profile,
            endpoint: r.endpoint.legacy_path(),
            fault: r.fault.as_ref().map(|f| format!("{f:?}")),
            outcome: r.outcome.clone(),
        })
        .collect();
    axum::Json(serde_json::json!({ "received": rows })).into_response()
}
