//! Faults injected on demand: what a test asks for, and the per-request decision.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use rand::Rng;
use serde::{Deserialize, Serialize};

/// Which requests a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum FaultTarget {
    /// Token PUTs and metadata reads.
    #[default]
    All,
    /// Only `PUT /latest/api/token` requests.
    Token,
    /// Every request except token PUTs.
    Metadata,
}

/// The faults to inject. Setting faults replaces all previous ones; the counts decrement with
/// each request they affect, so `error_count: 2` fails exactly two requests.
///
/// When several faults apply to one request, the first in this order wins: `never_answer`,
/// `drop_before_response`, `reset_during_response`, `truncate_body`, `error_count`,
/// `error_rate`. `latency_ms` delays every targeted request, whatever else happens to it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Delay before each targeted response, in milliseconds.
    pub latency_ms: Option<u64>,
    /// Status for `error_count` and `error_rate` failures (503 when unset).
    pub error_status: Option<u16>,
    /// Number of targeted requests answered with `error_status`.
    pub error_count: u32,
    /// Probability (0..=1) that a targeted request is answered with `error_status`.
    pub error_rate: Option<f64>,
    /// Number of targeted requests whose connection is closed without a byte of response.
    pub drop_before_response: u32,
    /// Number of targeted responses cut by a TCP reset after the headers and half the body.
    pub reset_during_response: u32,
    /// Number of targeted responses that announce the full `Content-Length` but send only half
    /// the body before closing.
    pub truncate_body: u32,
    /// Hold every targeted request without ever answering.
    pub never_answer: bool,
    /// IP TTL (IPv6 hop limit) of token PUT responses, as `HttpPutResponseHopLimit` does.
    pub token_ip_ttl: Option<u32>,
    /// Leave the `X-Aws-Ec2-Metadata-Token-Ttl-Seconds` header out of token responses, as
    /// some mocks do.
    pub omit_token_ttl_header: bool,
    /// Which requests the faults above apply to (`token_ip_ttl` and `omit_token_ttl_header`
    /// always concern token responses only).
    pub target: FaultTarget,
}

impl Faults {
    /// Checks the values a JSON document could get wrong.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(status) = self.error_status {
            if !(100..=599).contains(&status) {
                return Err(format!("error_status {status} is not an HTTP status"));
            }
        }
        if let Some(rate) = self.error_rate {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("error_rate {rate} is outside 0..=1"));
            }
        }
        if let Some(ttl) = self.token_ip_ttl {
            if !(1..=255).contains(&ttl) {
                return Err(format!("token_ip_ttl {ttl} is outside 1..=255"));
            }
        }
        Ok(())
    }

    fn is_empty(&self) -> bool {
        *self == Faults::default()
    }
}

/// What the connection does with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Answer normally.
    Answer,
    /// Answer with this status instead.
    Error(u16),
    /// Close without a byte.
    Drop,
    /// Send headers and half the body, then reset.
    Reset,
    /// Send headers and half the body, then close.
    Truncate,
    /// Never answer.
    Hang,
}

/// The fault decision for one request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decision {
    pub action: Action,
    pub delay: Option<Duration>,
    pub token_ip_ttl: Option<u32>,
    pub omit_token_ttl_header: bool,
}

const NO_FAULT: Decision = Decision {
    action: Action::Answer,
    delay: None,
    token_ip_ttl: None,
    omit_token_ttl_header: false,
};

/// The live fault settings. `active` lets the common case (no faults) skip the lock entirely.
#[derive(Default)]
pub(crate) struct FaultState {
    active: AtomicBool,
    faults: Mutex<Faults>,
}

impl FaultState {
    pub fn set(&self, faults: Faults) {
        let mut current = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        self.active.store(!faults.is_empty(), Ordering::Release);
        *current = faults;
    }

    pub fn get(&self) -> Faults {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Decides the fate of one request and consumes one count of the fault that applies.
    pub fn decide(&self, is_token_put: bool) -> Decision {
        if !self.active.load(Ordering::Acquire) {
            return NO_FAULT;
        }
        let mut faults = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        let mut decision = NO_FAULT;
        if is_token_put {
            decision.token_ip_ttl = faults.token_ip_ttl;
            decision.omit_token_ttl_header = faults.omit_token_ttl_header;
        }
        let targeted = match faults.target {
            FaultTarget::All => true,
            FaultTarget::Token => is_token_put,
            FaultTarget::Metadata => !is_token_put,
        };
        if !targeted {
            return decision;
        }
        decision.delay = faults.latency_ms.map(Duration::from_millis);
        decision.action = if faults.never_answer {
            Action::Hang
        } else if take(&mut faults.drop_before_response) {
            Action::Drop
        } else if take(&mut faults.reset_during_response) {
            Action::Reset
        } else if take(&mut faults.truncate_body) {
            Action::Truncate
        } else if take(&mut faults.error_count)
            || faults
                .error_rate
                .is_some_and(|rate| rand::thread_rng().gen_bool(rate))
        {
            Action::Error(faults.error_status.unwrap_or(503))
        } else {
            Action::Answer
        };
        if faults.is_empty() {
            self.active.store(false, Ordering::Release);
        }
        decision
    }
}

fn take(count: &mut u32) -> bool {
    if *count == 0 {
        return false;
    }
    *count -= 1;
    true
}
