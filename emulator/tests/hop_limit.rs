//! The hop limit across a routed network: a token response sent with IP TTL 1 dies at the
//! router, with TTL 2 it arrives; the core client names `HttpPutResponseHopLimit` when its
//! token is lost that way. Needs root and `ip`: a developer without them sees why each test
//! skips, while with `CI` set (CI runs as root) a missing namespace is a failure, so the
//! test can never pass there without running.
//!
//! Three network namespaces: `server` (the emulator, 10.201.1.1), `router` (forwarding), and
//! `client` (10.201.2.1). Each test thread enters its namespace with setns(2), which only
//! affects that thread, so the emulator runs in-process like in every other test.

mod common;

use std::fs::File;
use std::os::fd::AsRawFd;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use common::*;
use imds::ErrorKind;
use imds_emulator::{Emulator, EmulatorOptions, Faults};

struct Namespaces {
    names: [String; 3],
}

impl Namespaces {
    fn server(&self) -> &str {
        &self.names[0]
    }

    fn client(&self) -> &str {
        &self.names[2]
    }

    /// Builds server <-> router <-> client, or explains why it cannot.
    fn create() -> Result<Namespaces, String> {
        // SAFETY: geteuid(2) has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Err("not running as root".into());
        }
        // Tests run in parallel: each gets namespaces and interfaces of its own.
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let tag = format!(
            "{}{}",
            std::process::id() % 100_000,
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let names = ["s", "r", "c"].map(|role| format!("imdshop{role}{tag}"));
        let namespaces = Namespaces { names };
        let [server, router, client] = &namespaces.names;
        let (sv, rs, rc, cv) = (
            format!("hs{tag}"),
            format!("hrs{tag}"),
            format!("hrc{tag}"),
            format!("hc{tag}"),
        );
        let steps: Vec<Vec<&str>> = vec![
            vec!["netns", "add", server],
            vec!["netns", "add", router],
            vec!["netns", "add", client],
            vec![
                "link", "add", &sv, "netns", server, "type", "veth", "peer", "name", &rs, "netns",
                router,
            ],
            vec![
                "link", "add", &cv, "netns", client, "type", "veth", "peer", "name", &rc, "netns",
                router,
            ],
            vec!["-n", server, "addr", "add", "10.201.1.1/24", "dev", &sv],
            vec!["-n", router, "addr", "add", "10.201.1.2/24", "dev", &rs],
            vec!["-n", router, "addr", "add", "10.201.2.2/24", "dev", &rc],
            vec!["-n", client, "addr", "add", "10.201.2.1/24", "dev", &cv],
            vec!["-n", server, "link", "set", &sv, "up"],
            vec!["-n", router, "link", "set", &rs, "up"],
            vec!["-n", router, "link", "set", &rc, "up"],
            vec!["-n", client, "link", "set", &cv, "up"],
            vec!["-n", server, "link", "set", "lo", "up"],
            vec!["-n", client, "link", "set", "lo", "up"],
            vec!["-n", server, "route", "add", "default", "via", "10.201.1.2"],
            vec!["-n", client, "route", "add", "default", "via", "10.201.2.2"],
            vec![
                "netns",
                "exec",
                router,
                "sysctl",
                "-qw",
                "net.ipv4.ip_forward=1",
            ],
        ];
        for step in steps {
            let output = Command::new("ip")
                .args(&step)
                .output()
                .map_err(|err| format!("cannot run `ip`: {err}"))?;
            if !output.status.success() {
                return Err(format!(
                    "`ip {}` failed: {}",
                    step.join(" "),
                    String::from_utf8_lossy(&output.stderr).trim()
                ));
            }
        }
        Ok(namespaces)
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        // Deleting a namespace deletes the veth ends inside it.
        for name in &self.names {
            let _ = Command::new("ip").args(["netns", "del", name]).output();
        }
    }
}

/// The namespaces, or `None` when this machine cannot build them and the test should skip;
/// with `CI` set, that is a failure instead.
fn namespaces_or_skip(test: &str) -> Option<Namespaces> {
    match Namespaces::create() {
        Ok(namespaces) => Some(namespaces),
        Err(reason) => {
            let in_ci = std::env::var("CI")
                .is_ok_and(|value| !value.is_empty() && value != "false" && value != "0");
            assert!(
                !in_ci,
                "{test}: CI is set, so this test must run, but the namespaces failed: {reason}"
            );
            eprintln!("skipping {test}: {reason}");
            None
        }
    }
}

/// The emulator, listening on 10.201.1.1 inside the server namespace.
fn start_in_server(namespaces: &Namespaces) -> Emulator {
    let (sender, receiver) = mpsc::channel();
    in_namespace(namespaces.server(), move || {
        let options = EmulatorOptions {
            host: [10, 201, 1, 1].into(),
            ..Default::default()
        };
        sender
            .send(Emulator::start(options).expect("emulator in the server namespace"))
            .unwrap();
    });
    receiver.recv().unwrap()
}

/// Runs `work` on a thread that has entered network namespace `name`.
fn in_namespace<T: Send + 'static>(name: &str, work: impl FnOnce() -> T + Send + 'static) -> T {
    let path = format!("/run/netns/{name}");
    std::thread::spawn(move || {
        let namespace = File::open(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
        // SAFETY: setns(2) on a valid namespace descriptor; it changes only this thread.
        let rc = unsafe { libc::setns(namespace.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
        work()
    })
    .join()
    .expect("namespace thread")
}

/// Whether a token PUT from the client namespace gets its answer.
fn token_arrives(namespaces: &Namespaces, emulator: &Emulator) -> bool {
    let addr = emulator.metadata_addr();
    in_namespace(namespaces.client(), move || {
        // The path itself works: a tokenless GET gets its 401 through the router.
        let unauthorized = request(addr, "GET", "/latest/meta-data/", &[], b"");
        assert_eq!(unauthorized.status, 401);
        let mut conn = Conn::open(addr);
        // A lost response never comes; long enough for several retransmissions to die too.
        conn.stream()
            .set_read_timeout(Some(Duration::from_secs(3)))
            .unwrap();
        match conn.send("PUT", "/latest/api/token", &[(TTL_HEADER, "60")], b"") {
            Ok(response) => {
                assert_eq!(response.status, 200);
                true
            }
            Err(err)
                if matches!(
                    err.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                false
            }
            Err(err) => panic!("unexpected error: {err}"),
        }
    })
}

#[test]
fn hop_limit_one_loses_the_token_across_a_router_and_two_delivers_it() {
    let Some(namespaces) = namespaces_or_skip("the raw hop-limit test") else {
        return;
    };
    let emulator = start_in_server(&namespaces);

    emulator.control().set_faults(Faults {
        token_ip_ttl: Some(1),
        ..Faults::default()
    });
    assert!(
        !token_arrives(&namespaces, &emulator),
        "TTL 1 must die at the router"
    );
    emulator.control().set_faults(Faults {
        token_ip_ttl: Some(2),
        ..Faults::default()
    });
    assert!(
        token_arrives(&namespaces, &emulator),
        "TTL 2 must cross one router"
    );
    let counters = emulator.control().counters();
    assert_eq!(
        counters.token_puts, 2,
        "both tokens were granted; one answer was lost on the way"
    );
    drop(emulator);
}

/// Reads `instance-id` with the core client from inside the client namespace. The runtime is
/// built on the namespace thread, so every socket it opens is in that namespace.
fn core_client_reads_instance_id(
    namespaces: &Namespaces,
    endpoint: String,
) -> imds::Result<String> {
    in_namespace(namespaces.client(), move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let client = imds::Client::builder()
                .environment(imds::Environment::from_pairs(Vec::<(String, String)>::new()))
                .config_file("/nonexistent/imds-hop-limit-test/config")
                .endpoint(&endpoint)
                // Generous for a loaded machine; only the lost-token case waits it out.
                .timeout(Duration::from_secs(2))
                .build()?;
            client.get_metadata("instance-id").await
        })
    })
}

#[test]
fn core_client_names_the_hop_limit_when_its_token_dies_at_the_router() {
    let Some(namespaces) = namespaces_or_skip("the core client's hop-limit test") else {
        return;
    };
    let emulator = start_in_server(&namespaces);

    emulator.control().set_faults(Faults {
        token_ip_ttl: Some(1),
        ..Faults::default()
    });
    let lost = core_client_reads_instance_id(&namespaces, emulator.endpoint())
        .expect_err("the token response cannot cross the router");
    assert_eq!(lost.kind(), ErrorKind::Timeout, "{lost}");
    assert!(
        lost.message().contains("HttpPutResponseHopLimit"),
        "the message names the setting to change: {lost}"
    );

    emulator.control().set_faults(Faults {
        token_ip_ttl: Some(2),
        ..Faults::default()
    });
    let id = core_client_reads_instance_id(&namespaces, emulator.endpoint())
        .expect("with hop limit 2 the token arrives");
    assert_eq!(id, "i-0b22a22eec53b9321");
    let counters = emulator.control().counters();
    assert_eq!(counters.token_puts, 2, "IMDS granted the lost token too");
    assert_eq!(counters.reads.get("200"), Some(&1));
}
