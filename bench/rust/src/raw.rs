//! The physical limit: IMDSv2 reads over one keep-alive connection per worker, with a token
//! fetched once, no pool, no retries, no parsing beyond the status line and
//! `Content-Length`. Nothing a real client can skip is skipped: the token header is sent and
//! the whole body is read.

use std::io::{Read, Write};
use std::net::TcpStream;

const TOKEN_TTL_SECONDS: u32 = 21_600;

/// Where the raw loop sends its requests, and the token every worker shares.
pub struct Target {
    addr: String,
    token: String,
    role: String,
}

impl Target {
    /// Fetches one token (and the role name, for the credentials workload) up front.
    pub fn new(endpoint: &str) -> Result<Target, String> {
        let addr = endpoint
            .strip_prefix("http://")
            .ok_or_else(|| format!("raw loop needs an http:// endpoint, got {endpoint:?}"))?
            .trim_end_matches('/')
            .to_owned();
        let mut target = Target {
            addr,
            token: String::new(),
            role: String::new(),
        };
        let mut conn = target.connect()?;
        let put = format!(
            "PUT /latest/api/token HTTP/1.1\r\nHost: {}\r\n\
             X-aws-ec2-metadata-token-ttl-seconds: {TOKEN_TTL_SECONDS}\r\nContent-Length: 0\r\n\r\n",
            target.addr
        );
        target.token = exchange(&mut conn, put.as_bytes())?;
        let list = target.request("/latest/meta-data/iam/security-credentials/");
        target.role = exchange(&mut conn, list.as_bytes())?;
        Ok(target)
    }

    fn connect(&self) -> Result<Conn, String> {
        let stream = TcpStream::connect(&self.addr).map_err(|e| format!("connect: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(4096),
        })
    }

    fn request(&self, path: &str) -> String {
        format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nX-aws-ec2-metadata-token: {}\r\n\r\n",
            self.addr, self.token
        )
    }

    /// One read (or, for credentials, the two reads a provider makes), reconnecting when
    /// the worker has no connection yet or lost it.
    pub fn call(&self, conn: &mut Option<Conn>, creds: bool) -> Result<(), String> {
        if conn.is_none() {
            *conn = Some(self.connect()?);
        }
        let c = conn.as_mut().expect("connected above");
        let result = if creds {
            exchange(
                c,
                self.request("/latest/meta-data/iam/security-credentials/")
                    .as_bytes(),
            )
            .and_then(|_| {
                let doc = format!("/latest/meta-data/iam/security-credentials/{}", self.role);
                exchange(c, self.request(&doc).as_bytes())
            })
        } else {
            exchange(c, self.request("/latest/meta-data/local-ipv4").as_bytes())
        };
        if result.is_err() {
            *conn = None;
        }
        result.map(drop)
    }
}

/// A connection and the bytes read past the last response.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

/// Sends one request and reads its whole response; non-200 is an error.
fn exchange(conn: &mut Conn, request: &[u8]) -> Result<String, String> {
    conn.stream
        .write_all(request)
        .map_err(|e| format!("write: {e}"))?;
    conn.buf.clear();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(pos) = find(&conn.buf, b"\r\n\r\n") {
            break pos + 4;
        }
        let n = conn
            .stream
            .read(&mut chunk)
            .map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err("connection closed before the response head".into());
        }
        conn.buf.extend_from_slice(&chunk[..n]);
    };
    let head = std::str::from_utf8(&conn.buf[..head_end]).map_err(|e| e.to_string())?;
    let ok = head.get(9..12) == Some("200");
    let status = head.get(9..12).unwrap_or("").to_owned();
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .ok_or("response without Content-Length")?;
    while conn.buf.len() < head_end + length {
        let n = conn
            .stream
            .read(&mut chunk)
            .map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err("connection closed inside the body".into());
        }
        conn.buf.extend_from_slice(&chunk[..n]);
    }
    if !ok {
        return Err(format!("HTTP {status}"));
    }
    Ok(String::from_utf8_lossy(&conn.buf[head_end..head_end + length]).into_owned())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
