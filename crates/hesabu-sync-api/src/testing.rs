//! A loopback fake target for tests, examples and the crash-test child process (feature
//! `testing`). Phase 2's e-TIMS and QuickBooks sandboxes will be HTTP servers in their own crate;
//! this one only has to exercise the outbox, so it speaks one JSON line per TCP connection over
//! 127.0.0.1 (tokio's `net` is already compiled; an HTTP stack would add a minute to every cold
//! build on a 2-core machine for no extra coverage of the outbox).
//!
//! Requests: `{"op":"send","key":K,"operation":O,"payload":P}`, `{"op":"check","key":K}`,
//! `{"op":"probe"}`. The server records, per idempotency key, how many send requests arrived
//! (`deliveries`) and applies the first one only (`applied`: the effect, deduplicated like
//! QuickBooks' `requestid`). It can inject latency, scripted failures and being offline.
//!
//! [`LoopbackTarget`] is the client; its [`classify`] is the one place that decides retryable vs
//! permanent, as a real client's would.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::OutboxItem;
use crate::{Ack, RemoteState, SendError, Target, TargetConfig};

/// A scripted answer to the next send request(s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// HTTP-like 503: retryable, nothing applied.
    Unavailable,
    /// 429 with a retry-after in milliseconds: retryable, nothing applied.
    Throttled { retry_after_ms: u64 },
    /// 400: a business rejection, permanent, nothing applied.
    Rejected,
    /// Applied, then the connection is dropped without an answer: the client cannot know.
    AppliedThenDropped,
}

#[derive(Debug, Default)]
struct Record {
    deliveries: BTreeMap<String, u32>,
    applied: BTreeMap<String, (u64, Value)>,
    order: Vec<String>,
    faults: VecDeque<Fault>,
}

#[derive(Debug, Default)]
struct Shared {
    record: Mutex<Record>,
    latency_ms: AtomicU64,
    offline: AtomicBool,
    active: AtomicUsize,
    in_flight_max: AtomicUsize,
    in_flight_now: AtomicUsize,
    next_ref: AtomicU64,
    idle: tokio::sync::Notify,
}

/// The fake target's server. Stops when dropped.
#[derive(Debug)]
pub struct LoopbackServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl LoopbackServer {
    /// Binds 127.0.0.1:0 and serves until dropped.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let s = s.clone();
                s.active.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let _ = serve(stream, &s).await;
                    if s.active.fetch_sub(1, Ordering::SeqCst) == 1 {
                        s.idle.notify_waiters();
                    }
                });
            }
        });
        Ok(Self { addr, shared, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Total latency of each send (half before applying, half after).
    pub fn set_latency(&self, latency: Duration) {
        self.shared.latency_ms.store(
            u64::try_from(latency.as_millis()).unwrap_or(u64::MAX),
            Ordering::SeqCst,
        );
    }

    /// While offline, every connection is closed at once (probes fail, sends fail to connect).
    pub fn set_offline(&self, offline: bool) {
        self.shared.offline.store(offline, Ordering::SeqCst);
    }

    /// The next send requests get these answers, in order.
    pub fn inject(&self, faults: impl IntoIterator<Item = Fault>) {
        self.shared
            .record
            .lock()
            .expect("record")
            .faults
            .extend(faults);
    }

    /// Send requests received, per idempotency key (duplicates included).
    pub fn deliveries(&self) -> BTreeMap<String, u32> {
        self.shared
            .record
            .lock()
            .expect("record")
            .deliveries
            .clone()
    }

    /// Keys whose effect happened (once each, by construction), with the applied payload.
    pub fn applied(&self) -> BTreeMap<String, Value> {
        self.shared
            .record
            .lock()
            .expect("record")
            .applied
            .iter()
            .map(|(k, (_, v))| (k.clone(), v.clone()))
            .collect()
    }

    /// Keys in the order their effect happened.
    pub fn applied_order(&self) -> Vec<String> {
        self.shared.record.lock().expect("record").order.clone()
    }

    /// The most sends that were being processed at the same moment.
    pub fn max_concurrent_sends(&self) -> usize {
        self.shared.in_flight_max.load(Ordering::SeqCst)
    }

    /// Waits until no connection is open (a killed client's half-sent request has been either
    /// processed or discarded), up to `timeout`. Only meaningful once clients have gone away
    /// (their pooled connections close with them). Returns whether it got there.
    pub async fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.idle.notified();
            if self.shared.active.load(Ordering::SeqCst) == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.shared.active.load(Ordering::SeqCst) == 0;
            }
        }
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(stream: TcpStream, s: &Shared) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    loop {
        let mut line = String::new();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(()); // the client closed the connection
        }
        if s.offline.load(Ordering::SeqCst) {
            return Ok(()); // dropped unanswered: the client sees a closed connection
        }
        let Ok(request) = serde_json::from_str::<Value>(&line) else {
            return Ok(()); // a request cut off by a dying client: nothing happened
        };
        match answer(&request, s).await {
            Some(answer) => write.write_all(format!("{answer}\n").as_bytes()).await?,
            None => return Ok(()), // scripted: drop the connection without an answer
        }
    }
}

/// The injected latency, to within a fraction of a millisecond: tokio's timer rounds every
/// deadline up to its 1 ms tick (a 50 ms latency became ~51 ms, which alone costs 2% of the
/// benchmark's bound), so the fake sleeps on a blocking thread instead. A fake-target detail,
/// not a pattern for services (they wait through the outbox's `Sleeper`).
async fn precise_sleep_until(deadline: std::time::Instant) {
    let now = std::time::Instant::now();
    if deadline > now {
        let _ = tokio::task::spawn_blocking(move || std::thread::sleep(deadline - now)).await;
    }
}

/// The answer to one request, or `None` to drop the connection unanswered.
async fn answer(request: &Value, s: &Shared) -> Option<Value> {
    let key = request["key"].as_str().unwrap_or_default().to_owned();
    let answer = match request["op"].as_str() {
        Some("probe") => json!({ "status": 200 }),
        Some("check") => {
            let record = s.record.lock().expect("record");
            match record.applied.get(&key) {
                Some((n, _)) => {
                    json!({ "status": 200, "state": "received", "ref": format!("R{n}") })
                }
                None => json!({ "status": 200, "state": "not_received" }),
            }
        }
        Some("send") => {
            let now = s.in_flight_now.fetch_add(1, Ordering::SeqCst) + 1;
            s.in_flight_max.fetch_max(now, Ordering::SeqCst);
            let latency = Duration::from_millis(s.latency_ms.load(Ordering::SeqCst));
            let start = std::time::Instant::now();
            precise_sleep_until(start + latency / 2).await;
            let (answer, drop_reply) = {
                let mut record = s.record.lock().expect("record");
                *record.deliveries.entry(key.clone()).or_default() += 1;
                match record.faults.pop_front() {
                    Some(Fault::Unavailable) => (json!({ "status": 503 }), false),
                    Some(Fault::Throttled { retry_after_ms }) => (
                        json!({ "status": 429, "retry_after_ms": retry_after_ms }),
                        false,
                    ),
                    Some(Fault::Rejected) => (
                        json!({ "status": 400, "message": "rejected by the fake target" }),
                        false,
                    ),
                    fault => {
                        let n = match record.applied.get(&key) {
                            Some((n, _)) => *n, // a duplicate: the original answer, no effect
                            None => {
                                let n = s.next_ref.fetch_add(1, Ordering::SeqCst) + 1;
                                record
                                    .applied
                                    .insert(key.clone(), (n, request["payload"].clone()));
                                record.order.push(key.clone());
                                n
                            }
                        };
                        (
                            json!({ "status": 200, "ref": format!("R{n}") }),
                            fault == Some(Fault::AppliedThenDropped),
                        )
                    }
                }
            };
            precise_sleep_until(start + latency).await;
            s.in_flight_now.fetch_sub(1, Ordering::SeqCst);
            if drop_reply {
                return None;
            }
            answer
        }
        _ => json!({ "status": 400, "message": "unknown op" }),
    };
    Some(answer)
}

/// The client of a [`LoopbackServer`], as a [`Target`].
/// Keeps idle connections open for reuse, as a real HTTP client's pool does.
#[derive(Debug, Clone)]
pub struct LoopbackTarget {
    name: String,
    addr: SocketAddr,
    config: TargetConfig,
    timeout: Duration,
    idle: Arc<Mutex<Vec<TcpStream>>>,
}

impl LoopbackTarget {
    pub fn new(name: &str, addr: SocketAddr, config: TargetConfig) -> Self {
        Self {
            name: name.to_owned(),
            addr,
            config,
            timeout: Duration::from_secs(10),
            idle: Arc::new(Mutex::new(Vec::new())),
        }
    }

    async fn call(&self, request: Value) -> Result<Value, SendError> {
        let pooled = self.idle.lock().expect("pool").pop();
        let mut stream = match pooled {
            Some(s) => s,
            None => match tokio::time::timeout(self.timeout, TcpStream::connect(self.addr)).await {
                Ok(Ok(s)) => s,
                // Nothing was sent: retrying cannot duplicate.
                Ok(Err(e)) => return Err(SendError::retryable(format!("cannot connect: {e}"))),
                Err(_) => return Err(SendError::retryable("connect timed out")),
            },
        };
        let exchange = async {
            stream.write_all(format!("{request}\n").as_bytes()).await?;
            let mut line = String::new();
            // The server answers one line per request and nothing else, so this reads no further.
            BufReader::new(&mut stream).read_line(&mut line).await?;
            Ok::<_, std::io::Error>(line)
        };
        let line = match tokio::time::timeout(self.timeout, exchange).await {
            Ok(Ok(line)) if !line.is_empty() => line,
            // The request may have been applied: only a check can tell.
            Ok(Ok(_)) => return Err(unknown("the connection closed without an answer")),
            Ok(Err(e)) => return Err(unknown(&e.to_string())),
            Err(_) => return Err(unknown("no answer in time")),
        };
        let answer =
            serde_json::from_str(&line).map_err(|e| unknown(&format!("unreadable answer: {e}")))?;
        self.idle.lock().expect("pool").push(stream);
        Ok(answer)
    }
}

fn unknown(why: &str) -> SendError {
    SendError::Retryable {
        message: why.to_owned(),
        outcome_unknown: true,
        retry_after: None,
    }
}

/// The one place this client decides what an answer means: 2xx ok; 429 and 5xx retryable
/// (429 with the server's pause); other 4xx permanent.
pub fn classify(answer: &Value) -> Result<Ack, SendError> {
    let status = answer["status"].as_u64().unwrap_or(0);
    match status {
        200..=299 => Ok(Ack {
            remote_ref: answer["ref"].as_str().map(str::to_owned),
            result: Some(answer.clone()),
        }),
        429 => Err(SendError::Retryable {
            message: "throttled (429)".into(),
            outcome_unknown: false,
            retry_after: answer["retry_after_ms"].as_u64().map(Duration::from_millis),
        }),
        500..=599 => Err(SendError::retryable(format!("server error ({status})"))),
        _ => Err(SendError::permanent(format!(
            "{} ({status})",
            answer["message"].as_str().unwrap_or("refused")
        ))),
    }
}

#[async_trait::async_trait]
impl Target for LoopbackTarget {
    fn name(&self) -> &str {
        &self.name
    }

    fn config(&self) -> TargetConfig {
        self.config.clone()
    }

    async fn send(&self, item: &OutboxItem) -> Result<Ack, SendError> {
        let payload: Value = serde_json::from_str(&item.payload).unwrap_or(Value::Null);
        let answer = self
            .call(json!({
                "op": "send",
                "key": item.idempotency_key,
                "operation": item.operation,
                "payload": payload,
            }))
            .await?;
        classify(&answer)
    }

    async fn check_before_resend(&self, item: &OutboxItem) -> RemoteState {
        match self
            .call(json!({ "op": "check", "key": item.idempotency_key }))
            .await
        {
            Ok(answer) => match answer["state"].as_str() {
                Some("received") => RemoteState::Received(Ack {
                    remote_ref: answer["ref"].as_str().map(str::to_owned),
                    result: Some(answer.clone()),
                }),
                Some("not_received") => RemoteState::NotReceived,
                _ => RemoteState::Unknown(format!("unexpected answer {answer}")),
            },
            Err(e) => RemoteState::Unknown(e.message().to_owned()),
        }
    }

    async fn probe(&self) -> bool {
        matches!(
            tokio::time::timeout(Duration::from_secs(2), self.call(json!({ "op": "probe" }))).await,
            Ok(Ok(_))
        )
    }
}
