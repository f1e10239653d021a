//! Load: many threads and tasks sharing clients for a bounded number of reads, with no
//! error and the one token fetch per token lifetime that the design promises.

mod common;

use std::sync::Arc;

use common::{emulator, isolated};

const THREADS: usize = 16;
const READS_PER_THREAD: usize = 250;

#[test]
fn many_threads_share_one_blocking_client_and_one_token() {
    let emu = emulator();
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

    let counters = emu.control().counters();
    assert_eq!(counters.token_puts, 1, "{counters:?}");
    assert_eq!(counters.reads["200"], (THREADS * READS_PER_THREAD) as u64);
    assert_eq!(counters.reads.len(), 1, "only 200s: {counters:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tasks_on_cloned_async_clients_share_one_token() {
    let emu = emulator();
    let client = isolated(&emu.endpoint())
        .cache_immutable(false)
        .build()
        .unwrap();

    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                for _ in 0..50 {
                    let path = if i % 2 == 0 { "mac" } else { "local-ipv4" };
                    client.get_metadata(path).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("no task failed");
    }
    let counters = emu.control().counters();
    assert_eq!(counters.token_puts, 1, "{counters:?}");
    assert_eq!(counters.reads["200"], 64 * 50);
}
