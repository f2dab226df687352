//! Fault injection and the record of what was received: the in-process controls tests use to
//! prove a client survives KRA's failure modes and never has anything signed twice.

use std::time::Duration;

use hesabu_etims::Endpoint;

use crate::Profile;

/// One injected failure, applied to the next matching call(s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Close the connection without answering, before doing anything: the request did not take
    /// effect, but the client cannot know that.
    Drop,
    /// Answer this HTTP status (a 5xx, as a proxy would) with an HTML page, doing nothing.
    Http(u16),
    /// Answer this KRA result code (`894`, `990`, `991`, `999`, ...) with KRA's published
    /// message, doing nothing.
    ResultCd(String),
    /// Do the work (sign the sale), then close the connection without answering: the client
    /// must look the invoice up before it sends again.
    AcceptThenDrop,
    /// Do the work, then wait this long before answering (a client with a shorter timeout gives
    /// up: a timeout after commit).
    AcceptThenStall(Duration),
    /// Wait this long, then behave normally (latency).
    Delay(Duration),
}

impl Fault {
    /// A KRA result code, e.g. `Fault::result("990")`.
    pub fn result(code: &str) -> Fault {
        Fault::ResultCd(code.to_owned())
    }
}

/// A fault waiting for its calls.
#[derive(Debug, Clone)]
pub(crate) struct FaultRule {
    /// `None`: any e-TIMS call (never the token endpoint).
    pub endpoint: Option<Endpoint>,
    pub fault: Fault,
    pub remaining: usize,
}

/// Takes the fault for the next call to `endpoint`, if one is armed (first armed, first used).
pub(crate) fn take(rules: &mut Vec<FaultRule>, endpoint: Endpoint) -> Option<Fault> {
    let index = rules
        .iter()
        .position(|r| r.remaining > 0 && r.endpoint.is_none_or(|e| e == endpoint))?;
    let rule = &mut rules[index];
    rule.remaining -= 1;
    let fault = rule.fault.clone();
    if rule.remaining == 0 {
        rules.remove(index);
    }
    Some(fault)
}

/// One e-TIMS call as the sandbox received it, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedCall {
    /// 1, 2, ... in arrival order.
    pub seq: u64,
    pub profile: Profile,
    pub endpoint: Endpoint,
    /// The `tin` and `bhfId` headers, when sent.
    pub tin: Option<String>,
    pub bhf_id: Option<String>,
    /// The body exactly as received.
    pub body: String,
    /// The fault applied to it, if any.
    pub fault: Option<Fault>,
    /// `"000"`, `"001"`, `"994"` ... (the `resultCd` answered), `"HTTP 400: <message>"`,
    /// `"HTTP 503"`, `"dropped"`; empty while the call is in progress.
    pub outcome: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_apply_in_order_to_their_endpoint_and_run_out() {
        let mut rules = vec![
            FaultRule {
                endpoint: Some(Endpoint::SaveSale),
                fault: Fault::Drop,
                remaining: 2,
            },
            FaultRule {
                endpoint: None,
                fault: Fault::Http(503),
                remaining: 1,
            },
        ];
        assert_eq!(take(&mut rules, Endpoint::CodeList), Some(Fault::Http(503)));
        assert_eq!(take(&mut rules, Endpoint::CodeList), None);
        assert_eq!(take(&mut rules, Endpoint::SaveSale), Some(Fault::Drop));
        assert_eq!(take(&mut rules, Endpoint::SaveSale), Some(Fault::Drop));
        assert_eq!(take(&mut rules, Endpoint::SaveSale), None);
        assert!(rules.is_empty());
    }
}
