//! Load: many threads and tasks sharing clients for a bounded number of reads, with no
//! error, the one token fetch per token lifetime that the design promises, and not one file
//! descriptor or thread left behind once the clients are dropped.
//!
//! The descriptor and thread counts are the whole process's, so each scenario runs alone in
//! a fresh process of this test binary: a test running beside it would move the counts.
//! The emulator runs in that process too; it is started before the first count and stopped
//! after the last, so its listeners, runtime and thread are in both, and the server side of
//! every connection must be closed as well as the client side.

mod common;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::{emulator, isolated};

const THREADS: usize = 16;
const READS_PER_THREAD: usize = 250;
const TASKS: usize = 64;
const READS_PER_TASK: usize = 50;

/// Names the scenario that a child process of this binary runs alone.
const SCENARIO_ENV: &str = "IMDS_LOAD_SCENARIO";

/// How often to look again while connections and threads wind down. Only a leak exhausts
/// the bound, which keeps it from hanging the test; the assertion is on the counts. It
/// outlasts the ten seconds for which a tokio runtime keeps an idle thread.
const SETTLE_POLLS: usize = 2000;
const SETTLE_PAUSE: Duration = Duration::from_millis(10);

/// Runs `scenario` here when this process was started to run it; otherwise starts this
/// test binary again to run this test alone, and fails with its output if it failed.
fn alone_in_its_own_process(name: &str, scenario: fn()) {
    if std::env::var(SCENARIO_ENV).as_deref() == Ok(name) {
        scenario();
        return;
    }
    let output = Command::new(std::env::current_exe().expect("the test binary's path"))
        .args([name, "--exact", "--test-threads=1", "--nocapture"])
        .env(SCENARIO_ENV, name)
        .output()
        .expect("the test binary starts again");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // "1 passed" also proves the child found the test by this name and ran it.
    assert!(
        output.status.success() && stdout.contains("test result: ok. 1 passed"),
        "{name} failed in its own process ({}):\n{stdout}\n{stderr}",
        output.status
    );
}

/// What the process holds open: entries of /proc/self/fd and /proc/self/task.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Handles {
    fds: usize,
    threads: usize,
}

impl Handles {
    fn now() -> Handles {
        // Listing /proc/self/fd opens a descriptor of its own; it is in every figure alike.
        let count = |dir: &str| std::fs::read_dir(dir).expect(dir).count();
        Handles {
            fds: count("/proc/self/fd"),
            threads: count("/proc/self/task"),
        }
    }

    fn within(self, baseline: Handles) -> bool {
        self.fds <= baseline.fds && self.threads <= baseline.threads
    }
}

/// The figure once the process is back within `baseline`, or the last one seen.
///
/// Closing is asynchronous: a dropped client's connections are shut by the runtime's
/// worker threads, the emulator closes its side when it reads the end of the stream, and a
/// joined thread leaves /proc/self/task a moment after the join returns.
fn settled(baseline: Handles) -> Handles {
    for _ in 0..SETTLE_POLLS {
        let now = Handles::now();
        if now.within(baseline) {
            return now;
        }
        std::thread::sleep(SETTLE_PAUSE);
    }
    Handles::now()
}

/// The count before the load. The blocking clients' shared runtime (its epoll and waker
/// descriptors and its worker threads) is started by the first call and lives as long as
/// the process by design; a call refused before any request starts it without opening a
/// connection, so the baseline holds the runtime and nothing that closes later.
fn baseline_with_the_shared_runtime_started(endpoint: &str) -> Handles {
    let warm_up = isolated(endpoint).build_blocking().unwrap();
    let refused = warm_up.get_metadata("../user-data").unwrap_err();
    assert_eq!(refused.kind(), imds::ErrorKind::InvalidInput, "{refused}");
    drop(warm_up);
    Handles::now()
}

#[test]
fn many_threads_share_one_blocking_client_and_one_token_and_leave_nothing_open() {
    alone_in_its_own_process(
        "many_threads_share_one_blocking_client_and_one_token_and_leave_nothing_open",
        || {
            let emu = emulator();
            let before = baseline_with_the_shared_runtime_started(&emu.endpoint());
            let client = Arc::new(
                isolated(&emu.endpoint())
                    .cache_immutable(false)
                    .build_blocking()
                    .unwrap(),
            );

            let workers: Vec<_> = (0..THREADS)
                .map(|_| {
                    let client = client.clone();
                    std::thread::spawn(move || {
                        for _ in 0..READS_PER_THREAD {
                            assert_eq!(
                                client.get_metadata("instance-id").unwrap(),
                                "i-0b22a22eec53b9321"
                            );
                        }
                    })
                })
                .collect();
            for worker in workers {
                worker.join().expect("no reader failed");
            }
            drop(client);

            let after = settled(before);
            assert!(after.within(before), "before {before:?}, after {after:?}");
            let counters = emu.control().counters();
            assert_eq!(counters.token_puts, 1, "{counters:?}");
            assert_eq!(counters.reads["200"], (THREADS * READS_PER_THREAD) as u64);
            assert_eq!(counters.reads.len(), 1, "only 200s: {counters:?}");
        },
    );
}

#[test]
fn many_tasks_on_cloned_async_clients_share_one_token_and_leave_nothing_open() {
    alone_in_its_own_process(
        "many_tasks_on_cloned_async_clients_share_one_token_and_leave_nothing_open",
        || {
            let emu = emulator();
            // The async client runs on its caller's runtime; this one outlives the clients,
            // so it is their drop, not the runtime's, that must close their connections.
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            let before = baseline_with_the_shared_runtime_started(&emu.endpoint());
            let client = isolated(&emu.endpoint())
                .cache_immutable(false)
                .build()
                .unwrap();

            runtime.block_on(async {
                let tasks: Vec<_> = (0..TASKS)
                    .map(|i| {
                        let client = client.clone();
                        tokio::spawn(async move {
                            for _ in 0..READS_PER_TASK {
                                let path = if i % 2 == 0 { "mac" } else { "local-ipv4" };
                                client.get_metadata(path).await.unwrap();
                            }
                        })
                    })
                    .collect();
                for task in tasks {
                    task.await.expect("no task failed");
                }
            });
            drop(client);

            let after = settled(before);
            assert!(after.within(before), "before {before:?}, after {after:?}");
            let counters = emu.control().counters();
            assert_eq!(counters.token_puts, 1, "{counters:?}");
            assert_eq!(counters.reads["200"], (TASKS * READS_PER_TASK) as u64);
            assert_eq!(counters.reads.len(), 1, "only 200s: {counters:?}");
            drop(runtime);
        },
    );
}
