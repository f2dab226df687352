//! The per-realm limiter against the sandbox's own rate limit (spec §6.1–§6.2): clients of one
//! realm keep to the limit together, sequentially and all at once, and the sandbox refuses
//! none; an unpaced client is refused by the sandbox (so the check above can fail), gets the
//! wait, pauses its realm, and is let in again once the wait is over.

use std::time::{Duration, Instant};

use hesabu_qbo::{Client, ClientConfig, Error, ErrorKind, RateLimits};
use hesabu_qbo_sandbox::RateLimit;

use crate::support::connected;

/// The sandbox's limit in these tests, and the client's: 5 a second binds (200 ms apart).
const SANDBOX: RateLimit = RateLimit {
    per_second: 5,
    per_minute: 300,
};
const CLIENT: RateLimits = RateLimits {
    per_second: 5,
    per_minute: 300,
};

fn with_limits(client: &Client, limits: RateLimits) -> ClientConfig {
    ClientConfig {
        rate_limits: limits,
        ..client.config().clone()
    }
}

#[tokio::test]
async fn clients_of_one_realm_keep_to_the_limit_together() {
    let c = connected().await;
    c.sandbox.set_rate_limit(Some(SANDBOX));
    let config = with_limits(&c.client, CLIENT);
    // Two clients of the same company (a pull and the outbox, say): one limiter.
    let a = Client::new(config.clone(), c.tokens.clone()).unwrap();
    let b = Client::new(config, c.tokens.clone()).unwrap();
    assert_eq!(CLIENT.interval(), Duration::from_millis(200));

    const CALLS: u32 = 11;
    let started = Instant::now();
    for i in 0..CALLS {
        let client = if i % 2 == 0 { &a } else { &b };
        client.preferences().await.unwrap();
    }
    let sequential = started.elapsed();
    assert!(
        sequential >= CLIENT.interval() * (CALLS - 1),
        "{CALLS} calls took {sequential:?}"
    );

    // All at once from both clients: the limiter lets them out one interval apart.
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..CALLS {
        let client = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.spawn(async move { client.preferences().await.map(|_| ()) });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap().unwrap();
    }
    let concurrent = started.elapsed();
    // The first of these waited for the last sequential call's interval too.
    assert!(
        concurrent >= CLIENT.interval() * (CALLS - 1),
        "{CALLS} concurrent calls took {concurrent:?}"
    );
    let stats = c.sandbox.stats();
    assert_eq!(stats.rate_limited, 0, "the sandbox refused none: {stats:?}");
    assert_eq!(stats.api_calls, u64::from(2 * CALLS));
    let (span, let_in) = c.sandbox.api_traffic().unwrap();
    assert_eq!(let_in, u64::from(2 * CALLS));
    // Measured where the sandbox counts them: arrivals no closer than the limit allows, give or
    // take the delivery jitter the sandbox forgives.
    assert!(
        span + hesabu_qbo_sandbox::ARRIVAL_TOLERANCE >= CLIENT.interval() * (2 * CALLS - 1),
        "{let_in} calls arrived over {span:?}"
    );
}

#[tokio::test]
async fn an_unpaced_client_is_refused_and_waits_before_it_is_let_in_again() {
    let c = connected().await;
    c.sandbox.set_rate_limit(Some(SANDBOX));
    // A limiter far looser than the sandbox: the calls go as fast as the sandbox answers.
    let loose = RateLimits {
        per_second: 10_000,
        per_minute: 600_000,
    };
    let fast = Client::new(with_limits(&c.client, loose), c.tokens.clone()).unwrap();
    let mut refused = None;
    for _ in 0..(SANDBOX.per_second * 4) {
        if let Err(e) = fast.preferences().await {
            refused = Some(e);
            break;
        }
    }
    let refused = refused.expect("the sandbox refuses a client that does not pace");
    assert_eq!(refused.kind(), ErrorKind::Throttled, "{refused:?}");
    assert!(refused.fault().is_some_and(|f| f.has_code("3001")));
    assert!(refused.intuit_tid().is_some());
    // The sandbox's Retry-After: the second's window moves within a second.
    assert_eq!(refused.retry_after(), Some(Duration::from_secs(1)));
    assert_eq!(c.sandbox.stats().rate_limited, 1);

    // The realm is paused (the client's clock, which has not moved): refused unsent.
    let calls = c.sandbox.stats().api_calls;
    let paused = fast.preferences().await.unwrap_err();
    assert!(matches!(paused, Error::Paused { .. }), "{paused:?}");
    assert_eq!(paused.retry_after(), Some(Duration::from_secs(1)));
    assert_eq!(c.sandbox.stats().api_calls, calls);

    // The caller waits what it was told (the sandbox counts real time; the pause is on the
    // client's clock), then sends the same call again: let in.
    tokio::time::sleep(Duration::from_secs(1)).await;
    c.clock.advance(Duration::from_secs(1));
    fast.preferences().await.unwrap();
    assert_eq!(c.sandbox.stats().rate_limited, 1);
}
