//! A blocking client used in a child process after `fork()` works: the child gets a fresh
//! runtime and connection pool instead of hanging on the parent's.

mod common;

use common::{emulator, isolated};

#[test]
fn forked_child_reads_metadata_with_the_parents_client() {
    let emu = emulator();
    let client = isolated(&emu.endpoint()).build_blocking().unwrap();
    // The parent has a runtime, a pooled connection and a token before forking.
    assert_eq!(client.instance_id().unwrap(), "i-0b22a22eec53b9321");

    // SAFETY: the child only uses the client, then leaves with _exit, never returning
    // into the test harness.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let ok = client.get_metadata("local-ipv4").ok().as_deref() == Some("172.31.16.5")
            && client.region().ok().as_deref() == Some("us-east-1");
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }

    let mut status = 0;
    // SAFETY: waits for the child created above.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(waited, pid);
    assert!(
        libc::WIFEXITED(status),
        "child did not exit normally: {status}"
    );
    assert_eq!(
        libc::WEXITSTATUS(status),
        0,
        "child could not read metadata"
    );
    // The parent's client still works after the fork.
    assert_eq!(client.get_metadata("mac").unwrap(), "0e:49:61:0f:c3:11");
}
