//! A hostile or broken server, and the secrets that must never leak from the client.
//!
//! The hostile server is a real listener on loopback that writes the raw bytes a broken
//! or malicious IMDS would: a redirect to another host, an unusable token, garbage JSON.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use common::isolated;
use imds::ErrorKind;

/// Serves every connection with `respond(method, path) -> raw response bytes`.
struct RawServer {
    endpoint: String,
    connections: Arc<AtomicUsize>,
}

impl RawServer {
    fn start(respond: impl Fn(&str, &str) -> Vec<u8> + Send + Sync + 'static) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = connections.clone();
        let respond = Arc::new(respond);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                counter.fetch_add(1, Ordering::SeqCst);
                let respond = respond.clone();
                thread::spawn(move || serve(stream, &*respond));
            }
        });
        RawServer {
            endpoint,
            connections,
        }
    }
}

fn serve(stream: TcpStream, respond: &dyn Fn(&str, &str) -> Vec<u8>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            if header == "\r\n" {
                break;
            }
            if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let mut parts = request_line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        if writer.write_all(&respond(method, path)).is_err() {
            return;
        }
    }
}

fn response(status: &str, headers: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn token_ok(method: &str, path: &str) -> Option<Vec<u8>> {
    (method == "PUT" && path == "/latest/api/token").then(|| {
        response(
            "200 OK",
            "X-Aws-Ec2-Metadata-Token-Ttl-Seconds: 300\r\n",
            "AQAEAhostiletoken",
        )
    })
}

#[tokio::test]
async fn redirect_to_another_host_is_not_followed() {
    let elsewhere = RawServer::start(|_, _| response("200 OK", "", "stolen"));
    let target = elsewhere.endpoint.clone();
    let hostile = RawServer::start(move |method, path| {
        token_ok(method, path).unwrap_or_else(|| {
            response(
                "307 Temporary Redirect",
                &format!("Location: {target}/latest/meta-data/instance-id\r\n"),
                "",
            )
        })
    });
    let client = isolated(&hostile.endpoint).build().unwrap();

    let err = client.instance_id().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    assert!(err.message().contains("redirect"), "{err}");
    assert_eq!(elsewhere.connections.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn token_that_is_not_a_header_value_is_an_invalid_response() {
    let hostile = RawServer::start(|method, _| {
        if method == "PUT" {
            response("200 OK", "", "bad token\u{7f}with spaces")
        } else {
            response("200 OK", "", "never reached")
        }
    });
    let client = isolated(&hostile.endpoint).build().unwrap();
    let err = client.instance_id().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    assert!(
        !err.message().contains("bad token"),
        "the token never reaches a message"
    );
}

#[tokio::test]
async fn garbage_ttl_header_is_an_invalid_response() {
    let hostile = RawServer::start(|_, _| {
        response(
            "200 OK",
            "X-Aws-Ec2-Metadata-Token-Ttl-Seconds: soon\r\n",
            "AQAEAtoken",
        )
    });
    let client = isolated(&hostile.endpoint).build().unwrap();
    assert_eq!(
        client.instance_id().await.unwrap_err().kind(),
        ErrorKind::InvalidResponse
    );
}

#[tokio::test]
async fn missing_ttl_header_falls_back_to_the_requested_ttl() {
    let hostile = RawServer::start(|method, path| {
        if method == "PUT" && path == "/latest/api/token" {
            response("200 OK", "", "AQAEAtoken")
        } else {
            response("200 OK", "", "i-lenient")
        }
    });
    let client = isolated(&hostile.endpoint).build().unwrap();
    assert_eq!(client.instance_id().await.unwrap(), "i-lenient");
}

#[tokio::test]
async fn garbage_json_is_an_invalid_response_without_echoing_secrets() {
    let hostile = RawServer::start(|method, path| {
        token_ok(method, path).unwrap_or_else(|| match path {
            "/latest/meta-data/iam/security-credentials/" => response("200 OK", "", "web"),
            "/latest/meta-data/iam/security-credentials/web" => response(
                "200 OK",
                "",
                "{\"Code\":\"Success\",\"SecretAccessKey\":\"wJalrXUtnSECRET\",",
            ),
            _ => response("200 OK", "", "{not json"),
        })
    });
    let client = isolated(&hostile.endpoint).build().unwrap();

    let err = client.identity_document().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    let err = client.iam_info().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    let err = client.credentials().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    assert!(!err.message().contains("wJalrXUtnSECRET"), "{err}");
}

#[tokio::test]
async fn huge_body_without_content_length_is_cut_off_at_the_limit() {
    let hostile = RawServer::start(|method, path| {
        token_ok(method, path).unwrap_or_else(|| {
            let mut chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
            for _ in 0..64 {
                chunked.extend_from_slice(b"400\r\n");
                chunked.extend_from_slice(&[b'x'; 0x400]);
                chunked.extend_from_slice(b"\r\n");
            }
            chunked.extend_from_slice(b"0\r\n\r\n");
            chunked
        })
    });
    let client = isolated(&hostile.endpoint)
        .max_response_size(8 * 1024)
        .build()
        .unwrap();
    assert_eq!(
        client.get_metadata("big").await.unwrap_err().kind(),
        ErrorKind::ResponseTooLarge
    );
}
