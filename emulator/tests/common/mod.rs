//! Raw HTTP over std sockets, so the tests see exactly what goes over the wire, independent of
//! any client library.

#![allow(dead_code)] // Each test binary uses a different subset of the helpers.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use imds_emulator::{Emulator, EmulatorOptions};

/// Long enough for a loaded machine; a test that hits it has hung.
pub const IO_TIMEOUT: Duration = Duration::from_secs(20);

pub const TOKEN_HEADER: &str = "X-aws-ec2-metadata-token";
pub const TTL_HEADER: &str = "X-aws-ec2-metadata-token-ttl-seconds";

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("body is UTF-8")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|err| {
            panic!(
                "body is not JSON ({err}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// One HTTP/1.1 connection that can carry several requests.
pub struct Conn {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Conn {
    pub fn open(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        Conn {
            stream,
            buffer: Vec::new(),
        }
    }

    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<Response> {
        let mut request = format!("{method} {path} HTTP/1.1\r\nHost: 169.254.169.254\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        if !body.is_empty() || method == "PUT" || method == "POST" {
            request.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body);
        self.stream.write_all(&bytes)?;
        self.read_response(method == "HEAD")
    }

    /// Reads one response; errors with `UnexpectedEof` if the connection closes first.
    pub fn read_response(&mut self, head_only: bool) -> io::Result<Response> {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 64];
            let mut response = httparse::Response::new(&mut headers);
            if let httparse::Status::Complete(head_len) = response
                .parse(&self.buffer)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?
            {
                let status = response.code.unwrap();
                let headers: Vec<(String, String)> = response
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_owned(),
                            String::from_utf8_lossy(h.value).into_owned(),
                        )
                    })
                    .collect();
                let content_length = headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                    .map(|(_, v)| v.parse::<usize>().expect("numeric Content-Length"));
                // Interim (1xx) responses have no body; every final one announces its length.
                let length = match status {
                    100..=199 => 0,
                    _ => content_length.expect("every response has a Content-Length"),
                };
                let body_len = if head_only { 0 } else { length };
                while self.buffer.len() < head_len + body_len {
                    self.fill()?;
                }
                let body = self.buffer[head_len..head_len + body_len].to_vec();
                self.buffer.drain(..head_len + body_len);
                return Ok(Response {
                    status,
                    headers,
                    body,
                });
            }
            self.fill()?;
        }
    }

    fn fill(&mut self) -> io::Result<()> {
        let mut chunk = [0u8; 8192];
        let n = self.stream.read(&mut chunk)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        self.buffer.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    /// Everything the server sends until it closes the connection.
    pub fn read_to_close(&mut self) -> io::Result<Vec<u8>> {
        let mut all = std::mem::take(&mut self.buffer);
        self.stream.read_to_end(&mut all)?;
        Ok(all)
    }
}

/// A request on a connection of its own.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    Conn::open(addr)
        .send(method, path, headers, body)
        .expect("request")
}

pub fn start() -> Emulator {
    Emulator::start_default().expect("emulator starts")
}

pub fn start_with(configure: impl FnOnce(&mut EmulatorOptions)) -> Emulator {
    let mut options = EmulatorOptions::default();
    configure(&mut options);
    Emulator::start(options).expect("emulator starts")
}

pub fn put_token(addr: SocketAddr, ttl: &str) -> Response {
    request(addr, "PUT", "/latest/api/token", &[(TTL_HEADER, ttl)], b"")
}

pub fn token(emulator: &Emulator) -> String {
    let response = put_token(emulator.metadata_addr(), "21600");
    assert_eq!(response.status, 200, "token PUT failed: {response:?}");
    response.text()
}

pub fn get(emulator: &Emulator, path: &str, token: &str) -> Response {
    request(
        emulator.metadata_addr(),
        "GET",
        path,
        &[(TOKEN_HEADER, token)],
        b"",
    )
}

/// GET with a fresh token.
pub fn read(emulator: &Emulator, path: &str) -> Response {
    get(emulator, path, &token(emulator))
}

pub fn admin(emulator: &Emulator, method: &str, path: &str, body: &str) -> Response {
    let addr = emulator
        .admin_url()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    request(
        addr,
        method,
        path,
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
}

pub fn admin_ok(emulator: &Emulator, method: &str, path: &str, body: &str) {
    let response = admin(emulator, method, path, body);
    assert_eq!(response.status, 200, "{method} {path}: {}", response.text());
}

pub fn lines(response: &Response) -> Vec<String> {
    response.text().lines().map(str::to_owned).collect()
}
