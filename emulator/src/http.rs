//! A small HTTP/1.1 server with socket-level control, which the faults need: closing before
//! a byte, resetting mid-response, truncating a body, holding a request, and setting the IP
//! TTL of one response.

use std::cell::RefCell;
use std::io::Write as _;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::counters::Unanswered;
use crate::faults::Action;
use crate::state::Shared;

/// Largest request head accepted.
const MAX_HEAD: usize = 64 * 1024;
/// Largest request body accepted (user-data is at most 16 KiB; configurations are small).
const MAX_BODY: usize = 1024 * 1024;

/// Request methods the emulator tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Head,
    Put,
    Post,
    Delete,
    Other,
}

/// One parsed request, borrowing the connection's buffer.
pub(crate) struct Request<'a> {
    pub method: Method,
    pub method_name: &'a str,
    /// The path without its query string.
    pub path: &'a str,
    pub headers: &'a [httparse::Header<'a>],
    pub body: &'a [u8],
}

impl Request<'_> {
    /// The first header with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    }
}

/// What to send back, and how.
pub(crate) struct Reply {
    pub status: u16,
    /// Empty for no `Content-Type` header.
    pub content_type: &'static str,
    pub body: Bytes,
    /// `X-Aws-Ec2-Metadata-Token-Ttl-Seconds`, on token responses.
    pub token_ttl: Option<u32>,
    pub action: Action,
    pub delay: Option<Duration>,
    pub ip_ttl: Option<u32>,
    /// Counted as a token PUT rather than a read.
    pub is_token_put: bool,
}

impl Reply {
    pub fn new(status: u16, content_type: &'static str, body: Bytes) -> Reply {
        Reply {
            status,
            content_type,
            body,
            token_ttl: None,
            action: Action::Answer,
            delay: None,
            ip_ttl: None,
            is_token_put: false,
        }
    }
}

/// Which listener a connection came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listener {
    Metadata,
    Admin,
}

/// Accepts connections until `shutdown` changes.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    kind: Listener,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(connection(stream, shared.clone(), kind));
                }
                Err(err) => {
                    // Out of descriptors or similar: back off instead of spinning.
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            _ = shutdown.changed() => return,
        }
    }
}

async fn connection(mut stream: TcpStream, shared: Arc<Shared>, kind: Listener) {
    let metadata = kind == Listener::Metadata;
    if metadata {
        shared.counters.connection();
    }
    let _ = stream.set_nodelay(true);
    let mut input: Vec<u8> = Vec::with_capacity(4096);
    let mut output: Vec<u8> = Vec::with_capacity(1024);
    let mut hop_limit = HopLimit::default();
    let mut continue_sent = false;
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let consumed = match parse(&input, &mut headers) {
            Parsed::Incomplete { awaits_continue } => {
                // curl and others wait for `100 Continue` before sending a large body.
                if awaits_continue && !continue_sent {
                    continue_sent = true;
                    if stream
                        .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                match stream.read_buf(&mut input).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => continue,
                }
            }
            Parsed::Invalid(status) => {
                if metadata {
                    shared.counters.request();
                    shared.counters.answered(false, status);
                }
                let reply = Reply::new(status, "text/plain", Bytes::new());
                let _ = write_reply(&mut stream, &mut output, &reply, false, true).await;
                return;
            }
            Parsed::Complete(request, consumed, keep_alive) => {
                let started = Instant::now();
                let reply = match kind {
                    Listener::Metadata => {
                        shared.counters.request();
                        crate::metadata::handle(&shared, &request)
                    }
                    Listener::Admin => crate::admin::handle(&shared, &request),
                };
                let connection = Connection {
                    stream: &mut stream,
                    output: &mut output,
                    hop_limit: &mut hop_limit,
                    shared: &shared,
                    metadata,
                };
                let logged = || log(kind, &request, &reply, started.elapsed());
                let open = connection
                    .respond(&reply, request.method, keep_alive, logged)
                    .await;
                if !open {
                    return;
                }
                continue_sent = false;
                consumed
            }
        };
        input.drain(..consumed);
    }
}

struct Connection<'c> {
    stream: &'c mut TcpStream,
    output: &'c mut Vec<u8>,
    hop_limit: &'c mut HopLimit,
    shared: &'c Shared,
    metadata: bool,
}

impl Connection<'_> {
    /// Sends `reply` as its fault action says; returns whether the connection stays open.
    /// `log` runs before the first byte goes out, so that a client that has its answer can
    /// count on the log line being written.
    async fn respond(
        self,
        reply: &Reply,
        method: Method,
        keep_alive: bool,
        log: impl FnOnce(),
    ) -> bool {
        let counters = &self.shared.counters;
        if let Some(delay) = reply.delay {
            tokio::time::sleep(delay).await;
        }
        log();
        match reply.action {
            Action::Hang => {
                counters.unanswered(Unanswered::NeverAnswer);
                // Keep reading so the task ends when the client gives up.
                let mut sink = [0u8; 1024];
                while matches!(self.stream.read(&mut sink).await, Ok(n) if n > 0) {}
                false
            }
            Action::Drop => {
                counters.unanswered(Unanswered::Drop);
                false
            }
            Action::Reset => {
                counters.unanswered(Unanswered::Reset);
                let _ = write_partial(self.stream, self.output, reply).await;
                // SO_LINGER 0 turns the close into a RST.
                let _ = self.stream.set_zero_linger();
                false
            }
            Action::Truncate => {
                if self.metadata {
                    counters.answered(reply.is_token_put, reply.status);
                }
                let _ = write_partial(self.stream, self.output, reply).await;
                let _ = self.stream.shutdown().await;
                false
            }
            Action::Answer | Action::Error(_) => {
                if self.metadata {
                    counters.answered(reply.is_token_put, reply.status);
                }
                self.hop_limit.apply(self.stream, reply.ip_ttl);
                let head_only = method == Method::Head;
                let written =
                    write_reply(self.stream, self.output, reply, head_only, !keep_alive).await;
                written.is_ok() && keep_alive
            }
        }
    }
}

fn log(kind: Listener, request: &Request<'_>, reply: &Reply, elapsed: Duration) {
    // Only the method, path and status: token values live in headers and are never logged.
    match kind {
        Listener::Metadata => tracing::info!(
            target: "imds_emulator::access",
            method = request.method_name,
            path = request.path,
            status = reply.status,
            fault = ?reply.action,
            micros = elapsed.as_micros() as u64,
        ),
        Listener::Admin => tracing::info!(
            target: "imds_emulator::admin",
            method = request.method_name,
            path = request.path,
            status = reply.status,
            micros = elapsed.as_micros() as u64,
        ),
    }
}

enum Parsed<'a> {
    Complete(Request<'a>, usize, bool),
    /// More bytes are needed; `awaits_continue` when the head is complete and asks for
    /// `100 Continue` before its body.
    Incomplete {
        awaits_continue: bool,
    },
    Invalid(u16),
}

fn parse<'a>(input: &'a [u8], headers: &'a mut [httparse::Header<'a>]) -> Parsed<'a> {
    let mut request = httparse::Request::new(headers);
    let head_len = match request.parse(input) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) if input.len() > MAX_HEAD => return Parsed::Invalid(431),
        Ok(httparse::Status::Partial) => {
            return Parsed::Incomplete {
                awaits_continue: false,
            }
        }
        Err(httparse::Error::TooManyHeaders) => return Parsed::Invalid(431),
        Err(_) => return Parsed::Invalid(400),
    };
    let headers: &'a [httparse::Header<'a>] = request.headers;
    let find = |name: &str| headers.iter().find(|h| h.name.eq_ignore_ascii_case(name));
    if find("transfer-encoding").is_some() {
        return Parsed::Invalid(411);
    }
    let body_len = match find("content-length").map(|h| parse_decimal(h.value)) {
        None => 0,
        Some(Some(len)) if len <= MAX_BODY as u64 => len as usize,
        Some(Some(_)) => return Parsed::Invalid(413),
        Some(None) => return Parsed::Invalid(400),
    };
    if input.len() < head_len + body_len {
        let expect = find("expect").map(|h| h.value);
        let awaits_continue = expect.is_some_and(|v| v.eq_ignore_ascii_case(b"100-continue"));
        return Parsed::Incomplete { awaits_continue };
    }
    let connection = find("connection").map(|h| h.value);
    let keep_alive = match request.version {
        Some(0) => connection.is_some_and(|v| v.eq_ignore_ascii_case(b"keep-alive")),
        _ => !connection.is_some_and(|v| v.eq_ignore_ascii_case(b"close")),
    };
    let method_name = request.method.unwrap_or("");
    let method = match method_name {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "PUT" => Method::Put,
        "POST" => Method::Post,
        "DELETE" => Method::Delete,
        _ => Method::Other,
    };
    let target = request.path.unwrap_or("/");
    let path = target.split_once('?').map_or(target, |(path, _)| path);
    let request = Request {
        method,
        method_name,
        path,
        headers,
        body: &input[head_len..head_len + body_len],
    };
    Parsed::Complete(request, head_len + body_len, keep_alive)
}

/// A strict decimal parse: digits only, as HTTP's `Content-Length` and IMDS's TTL header are.
pub(crate) fn parse_decimal(value: &[u8]) -> Option<u64> {
    if value.is_empty() || value.len() > 19 {
        return None;
    }
    value.iter().try_fold(0u64, |acc, &digit| {
        digit
            .is_ascii_digit()
            .then(|| acc * 10 + u64::from(digit - b'0'))
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

fn write_head(out: &mut Vec<u8>, reply: &Reply, content_length: usize, close: bool) {
    out.clear();
    let _ = write!(
        out,
        "HTTP/1.1 {} {}\r\n",
        reply.status,
        reason(reply.status)
    );
    if !reply.content_type.is_empty() {
        let _ = write!(out, "Content-Type: {}\r\n", reply.content_type);
    }
    let _ = write!(out, "Content-Length: {content_length}\r\n");
    if let Some(ttl) = reply.token_ttl {
        let _ = write!(out, "X-Aws-Ec2-Metadata-Token-Ttl-Seconds: {ttl}\r\n");
    }
    out.extend_from_slice(b"Server: EC2ws\r\nDate: ");
    http_date(out);
    out.extend_from_slice(b"\r\n");
    if close {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

async fn write_reply(
    stream: &mut TcpStream,
    out: &mut Vec<u8>,
    reply: &Reply,
    head_only: bool,
    close: bool,
) -> std::io::Result<()> {
    write_head(out, reply, reply.body.len(), close);
    if !head_only {
        out.extend_from_slice(&reply.body);
    }
    stream.write_all(out).await
}

/// The head announcing the whole body (at least one byte), then only half of it.
async fn write_partial(
    stream: &mut TcpStream,
    out: &mut Vec<u8>,
    reply: &Reply,
) -> std::io::Result<()> {
    write_head(out, reply, reply.body.len().max(1), true);
    out.extend_from_slice(&reply.body[..reply.body.len() / 2]);
    stream.write_all(out).await?;
    stream.flush().await
}

/// The `Date` header value, formatted at most once a second per thread.
fn http_date(out: &mut Vec<u8>) {
    thread_local! {
        static CACHE: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.0 != now {
            let format = time::macros::format_description!(
                "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
            );
            let at = time::OffsetDateTime::from_unix_timestamp(now as i64)
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            *cache = (now, at.format(format).unwrap_or_default());
        }
        out.extend_from_slice(cache.1.as_bytes());
    });
}

/// The IP TTL (IPv6 hop limit) of a connection's responses. A token response may need a lower
/// one; it stays in force until the next response on the connection, so that retransmissions
/// of the token response carry it too, as they would from EC2.
#[derive(Default)]
struct HopLimit {
    /// The TTL to restore, once changed.
    original: Option<u32>,
}

impl HopLimit {
    fn apply(&mut self, stream: &TcpStream, wanted: Option<u32>) {
        match (wanted, self.original) {
            (Some(ttl), _) => {
                if self.original.is_none() {
                    self.original = current_hop_limit(stream);
                }
                set_hop_limit(stream, ttl);
            }
            (None, Some(original)) => {
                set_hop_limit(stream, original);
                self.original = None;
            }
            (None, None) => {}
        }
    }
}

fn is_ipv6(stream: &TcpStream) -> bool {
    stream.local_addr().is_ok_and(|addr| addr.is_ipv6())
}

fn current_hop_limit(stream: &TcpStream) -> Option<u32> {
    if !is_ipv6(stream) {
        return stream.ttl().ok();
    }
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: the descriptor is open for the life of `stream`, and `value`/`len` are valid
    // for writes of the sizes given.
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_IPV6,
            libc::IPV6_UNICAST_HOPS,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    (rc == 0).then_some(value as u32)
}

fn set_hop_limit(stream: &TcpStream, ttl: u32) {
    let result = if is_ipv6(stream) {
        let value = ttl as libc::c_int;
        // SAFETY: the descriptor is open for the life of `stream`, and `value` is a valid
        // c_int of the size given.
        let rc = unsafe {
            libc::setsockopt(
                stream.as_raw_fd(),
                libc::IPPROTO_IPV6,
                libc::IPV6_UNICAST_HOPS,
                (&value as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    } else {
        stream.set_ttl(ttl)
    };
    if let Err(err) = result {
        tracing::warn!(error = %err, ttl, "cannot set the IP TTL");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_parse_rejects_signs_spaces_and_overflow() {
        assert_eq!(parse_decimal(b"21600"), Some(21600));
        assert_eq!(parse_decimal(b"0"), Some(0));
        for bad in [
            &b""[..],
            b"-1",
            b"+1",
            b" 1",
            b"1.0",
            b"abc",
            b"99999999999999999999",
        ] {
            assert_eq!(
                parse_decimal(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
