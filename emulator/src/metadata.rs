//! The metadata port: token rules, access modes, and the tree.

use bytes::Bytes;
use time::OffsetDateTime;

use crate::config::{CredentialsMode, HttpEndpoint, HttpTokens};
use crate::faults::{Action, Decision};
use crate::http::{parse_decimal, Method, Reply, Request};
use crate::state::{Shared, Snapshot};
use crate::tree::{Dynamic, Found, Kind, VERSIONS};

const TEXT: &str = "text/plain";
const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";
const TTL_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";
/// The longest token lifetime IMDS grants: six hours.
const MAX_TOKEN_TTL: u64 = 21_600;

/// The small XHTML page IMDS sends with its errors.
fn error_page(status: u16) -> Bytes {
    let title = match status {
        400 => "400 - Bad Request",
        401 => "401 - Unauthorized",
        403 => "403 - Forbidden",
        404 => "404 - Not Found",
        405 => "405 - Method Not Allowed",
        429 => "429 - Too Many Requests",
        500 => "500 - Internal Server Error",
        502 => "502 - Bad Gateway",
        503 => "503 - Service Unavailable",
        504 => "504 - Gateway Timeout",
        _ => return Bytes::new(),
    };
    Bytes::from(format!(
        "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n\
         <!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\"\n\
         \t\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n\
         <html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\" lang=\"en\">\n \
         <head>\n  <title>{title}</title>\n </head>\n \
         <body>\n  <h1>{title}</h1>\n </body>\n</html>\n"
    ))
}

fn error(status: u16) -> Reply {
    // Precomputed once: error answers are common under load (401 storms, 404 walks).
    static PAGES: std::sync::OnceLock<Vec<(u16, Bytes)>> = std::sync::OnceLock::new();
    let pages = PAGES.get_or_init(|| {
        [400, 401, 403, 404, 405, 429, 500, 502, 503, 504]
            .into_iter()
            .map(|status| (status, error_page(status)))
            .collect()
    });
    match pages.iter().find(|(s, _)| *s == status) {
        Some((_, page)) => Reply::new(status, "text/html", page.clone()),
        None => Reply::new(status, "", Bytes::new()),
    }
}

/// How a request relates to the token endpoint.
#[derive(PartialEq, Eq)]
enum TokenPath {
    /// `/latest/api/token`.
    Exact,
    /// A dated version's token path, or one with a trailing slash.
    Refused,
    No,
}

fn token_path(path: &str) -> TokenPath {
    let trimmed = path.trim_start_matches('/');
    match trimmed.split_once('/') {
        Some(("latest", "api/token")) => TokenPath::Exact,
        Some((version, "api/token" | "api/token/")) if VERSIONS.contains(&version) => {
            TokenPath::Refused
        }
        _ => TokenPath::No,
    }
}

pub(crate) fn handle(shared: &Shared, request: &Request<'_>) -> Reply {
    let token_path = token_path(request.path);
    let is_token_put = request.method == Method::Put && token_path != TokenPath::No;
    let decision = shared.faults.decide(is_token_put);
    let mut reply = if let Action::Error(status) = decision.action {
        error(status)
    } else if matches!(decision.action, Action::Drop | Action::Hang) {
        // Nothing will be sent, so nothing (a token least of all) is made.
        Reply::new(200, "", Bytes::new())
    } else if shared.http_endpoint() == HttpEndpoint::Disabled {
        error(403)
    } else if token_path != TokenPath::No {
        token(shared, request, token_path == TokenPath::Exact, &decision)
    } else {
        read(shared, request)
    };
    reply.is_token_put = is_token_put;
    reply.action = decision.action;
    reply.delay = decision.delay;
    if is_token_put {
        // EC2 applies the hop limit to every answer of the token PUT, refusals included.
        reply.ip_ttl = decision.token_ip_ttl;
    }
    reply
}

fn token(shared: &Shared, request: &Request<'_>, exact: bool, decision: &Decision) -> Reply {
    if request.method != Method::Put {
        return error(405);
    }
    if !exact {
        return Reply::new(403, TEXT, Bytes::new());
    }
    if request.header("x-forwarded-for").is_some() {
        return error(403);
    }
    let ttl = match request.header(TTL_HEADER).and_then(parse_decimal) {
        Some(ttl @ 1..=MAX_TOKEN_TTL) => ttl,
        _ => return error(400),
    };
    let token = shared.tokens.issue(std::time::Duration::from_secs(ttl));
    let mut reply = Reply::new(200, TEXT, Bytes::from(token));
    if !decision.omit_token_ttl_header {
        reply.token_ttl = Some(ttl as u32);
    }
    reply
}

/// Whether the request may read, and as IMDSv2 (with a token) or IMDSv1.
enum Access {
    V1,
    V2,
}

fn access(shared: &Shared, request: &Request<'_>) -> Option<Access> {
    match request.header(TOKEN_HEADER) {
        Some(token) if shared.tokens.is_valid(token) => Some(Access::V2),
        Some(_) => None,
        None if shared.http_tokens() == HttpTokens::Optional => Some(Access::V1),
        None => None,
    }
}

fn read(shared: &Shared, request: &Request<'_>) -> Reply {
    if !matches!(request.method, Method::Get | Method::Head) {
        return error(405);
    }
    let Some(access) = access(shared, request) else {
        return error(401);
    };
    let path = request.path.trim_matches('/');
    if path.is_empty() {
        static ROOT: std::sync::OnceLock<Bytes> = std::sync::OnceLock::new();
        let root = ROOT.get_or_init(|| Bytes::from(VERSIONS.join("\n")));
        return Reply::new(200, TEXT, root.clone());
    }
    let (version, rest) = path.split_once('/').unwrap_or((path, ""));
    if !VERSIONS.contains(&version) {
        return error(404);
    }
    // Dated versions serve the same tree as `latest`.
    let snapshot = shared.snapshot();
    let found = if rest.is_empty() {
        snapshot.tree.find("latest")
    } else if version == "latest" {
        snapshot.tree.find(path)
    } else {
        snapshot.tree.find(&format!("latest/{rest}"))
    };
    let now = OffsetDateTime::now_utc();
    let body = match found {
        Found::Static(body, Kind::Text) => return Reply::new(200, TEXT, body.clone()),
        Found::Static(body, Kind::Binary) => {
            return Reply::new(200, "application/octet-stream", body.clone())
        }
        Found::Dynamic(dynamic) => dynamic_leaf(shared, &snapshot, dynamic, &access, now),
        Found::Dir(index) => {
            let schedule = shared.schedule.read().unwrap_or_else(|e| e.into_inner());
            let present = |dynamic| match dynamic {
                Dynamic::RoleCredentials | Dynamic::InstanceIdentityCredentials => true,
                other => dynamic_text(&schedule, other, now).is_some(),
            };
            snapshot.tree.listing(index, &present)
        }
        Found::Missing => None,
    };
    match body {
        Some(body) => Reply::new(200, TEXT, body),
        None => error(404),
    }
}

fn dynamic_leaf(
    shared: &Shared,
    snapshot: &Snapshot,
    dynamic: Dynamic,
    access: &Access,
    now: OffsetDateTime,
) -> Option<Bytes> {
    let credentials = &snapshot.credentials;
    let text = match dynamic {
        Dynamic::RoleCredentials => match (shared.credentials_mode(), access) {
            (CredentialsMode::Error, _) => {
                let role = snapshot.config.iam_role.as_deref().unwrap_or_default();
                crate::credentials::error_document(role)
            }
            (CredentialsMode::Success, Access::V1) => credentials.v1.document(),
            (CredentialsMode::Success, Access::V2) => credentials.v2.document(),
        },
        Dynamic::InstanceIdentityCredentials => credentials.instance_identity.document(),
        other => {
            let schedule = shared.schedule.read().unwrap_or_else(|e| e.into_inner());
            dynamic_text(&schedule, other, now)?
        }
    };
    Some(Bytes::from(text))
}

fn dynamic_text(
    schedule: &crate::events::Schedule,
    dynamic: Dynamic,
    now: OffsetDateTime,
) -> Option<String> {
    match dynamic {
        Dynamic::SpotInstanceAction => schedule.spot_instance_action(now),
        Dynamic::SpotTerminationTime => schedule.spot_termination_time(now),
        Dynamic::Rebalance => schedule.rebalance_notice(now),
        Dynamic::MaintenanceScheduled => schedule.maintenance_scheduled(now),
        Dynamic::MaintenanceHistory => schedule.maintenance_history(now),
        Dynamic::AutoscalingState => schedule.autoscaling.clone(),
        Dynamic::RoleCredentials | Dynamic::InstanceIdentityCredentials => None,
    }
}
