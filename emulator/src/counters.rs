//! Request counters, lock-free so that counting never serialises the read path.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// What went over the wire since start (or the last reset).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    /// Tokens granted (token PUTs answered 200).
    pub token_puts: u64,
    /// Token PUTs answered with anything but 200 (including injected errors).
    pub token_rejected: u64,
    /// Every other request that got a status line, by status code (`"200"`, `"401"`, ...).
    pub reads: BTreeMap<String, u64>,
    /// Every request received on the metadata port, answered or not.
    pub requests: u64,
    /// Connections accepted on the metadata port.
    pub connections: u64,
    /// Requests that a fault left without a status line, by kind (`"drop"`, `"reset"`,
    /// `"never_answer"`).
    pub unanswered: BTreeMap<String, u64>,
}

/// Kinds of requests that never got a status line.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Unanswered {
    Drop = 0,
    Reset = 1,
    NeverAnswer = 2,
}

const UNANSWERED_NAMES: [&str; 3] = ["drop", "reset", "never_answer"];

pub(crate) struct CounterSet {
    token_puts: AtomicU64,
    token_rejected: AtomicU64,
    // Indexed by status code: a fixed table keeps counting free of locks and allocation.
    reads: Box<[AtomicU64]>,
    requests: AtomicU64,
    connections: AtomicU64,
    unanswered: [AtomicU64; 3],
}

impl Default for CounterSet {
    fn default() -> Self {
        CounterSet {
            token_puts: AtomicU64::new(0),
            token_rejected: AtomicU64::new(0),
            reads: (0..600).map(|_| AtomicU64::new(0)).collect(),
            requests: AtomicU64::new(0),
            connections: AtomicU64::new(0),
            unanswered: Default::default(),
        }
    }
}

impl CounterSet {
    pub fn connection(&self) {
        self.connections.fetch_add(1, Ordering::Relaxed);
    }

    pub fn request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    pub fn answered(&self, is_token_put: bool, status: u16) {
        if is_token_put {
            let counter = if status == 200 {
                &self.token_puts
            } else {
                &self.token_rejected
            };
            counter.fetch_add(1, Ordering::Relaxed);
        } else if let Some(counter) = self.reads.get(usize::from(status)) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn unanswered(&self, kind: Unanswered) {
        self.unanswered[kind as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> Counters {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let nonzero = |(name, count): (String, u64)| (count > 0).then_some((name, count));
        Counters {
            token_puts: load(&self.token_puts),
            token_rejected: load(&self.token_rejected),
            reads: self
                .reads
                .iter()
                .enumerate()
                .map(|(status, c)| (status.to_string(), load(c)))
                .filter_map(nonzero)
                .collect(),
            requests: load(&self.requests),
            connections: load(&self.connections),
            unanswered: UNANSWERED_NAMES
                .iter()
                .zip(&self.unanswered)
                .map(|(name, c)| ((*name).to_owned(), load(c)))
                .filter_map(nonzero)
                .collect(),
        }
    }

    pub fn reset(&self) {
        let all = [
            &self.token_puts,
            &self.token_rejected,
            &self.requests,
            &self.connections,
        ];
        for counter in all
            .into_iter()
            .chain(self.reads.iter())
            .chain(&self.unanswered)
        {
            counter.store(0, Ordering::Relaxed);
        }
    }
}
