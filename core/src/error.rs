//! The one error vocabulary shared by every language binding.

use std::fmt;

/// What went wrong, as a stable category.
///
/// Every binding exposes the same kinds with the same numeric [`code`](ErrorKind::code).
/// Codes are part of the public contract: once released, a code is never reused or
/// renumbered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A bad argument: path, TTL, endpoint, mode or another setting. No request was sent.
    InvalidInput,
    /// IMDS is turned off by configuration. No request was sent.
    Disabled,
    /// The connection was refused or could not be made in time: most likely not on EC2.
    Unreachable,
    /// No answer arrived in time.
    Timeout,
    /// IMDS answered 400.
    BadRequest,
    /// IMDS answered 401 even with a freshly fetched token.
    Unauthorized,
    /// IMDS answered 403: the endpoint is off for this instance, or the request was refused.
    Forbidden,
    /// IMDS answered 404: the path is absent, or the item (role, user-data, notice) is not there.
    NotFound,
    /// IMDS answered 429 on every attempt.
    Throttled,
    /// IMDS answered 5xx on every attempt.
    ServerError,
    /// The answer could not be understood: a malformed body, JSON document or header.
    InvalidResponse,
    /// The body was larger than the configured limit.
    ResponseTooLarge,
    /// The caller cancelled the call.
    Cancelled,
    /// The identity document failed signature verification.
    SignatureInvalid,
    /// IMDS answered with an error document instead of role credentials.
    CredentialsError,
    /// A bug in this library, such as a caught panic. Please report it.
    Internal,
}

impl ErrorKind {
    /// Every kind, in code order.
    pub const ALL: [ErrorKind; 16] = [
        ErrorKind::InvalidInput,
        ErrorKind::Disabled,
        ErrorKind::Unreachable,
        ErrorKind::Timeout,
        ErrorKind::BadRequest,
        ErrorKind::Unauthorized,
        ErrorKind::Forbidden,
        ErrorKind::NotFound,
        ErrorKind::Throttled,
        ErrorKind::ServerError,
        ErrorKind::InvalidResponse,
        ErrorKind::ResponseTooLarge,
        ErrorKind::Cancelled,
        ErrorKind::SignatureInvalid,
        ErrorKind::CredentialsError,
        ErrorKind::Internal,
    ];

    /// The stable numeric code of this kind, identical in every language.
    pub const fn code(self) -> u32 {
        match self {
            ErrorKind::InvalidInput => 1,
            ErrorKind::Disabled => 2,
            ErrorKind::Unreachable => 3,
            ErrorKind::Timeout => 4,
            ErrorKind::BadRequest => 5,
            ErrorKind::Unauthorized => 6,
            ErrorKind::Forbidden => 7,
            ErrorKind::NotFound => 8,
            ErrorKind::Throttled => 9,
            ErrorKind::ServerError => 10,
            ErrorKind::InvalidResponse => 11,
            ErrorKind::ResponseTooLarge => 12,
            ErrorKind::Cancelled => 13,
            ErrorKind::SignatureInvalid => 14,
            ErrorKind::CredentialsError => 15,
            ErrorKind::Internal => 99,
        }
    }

    /// The kind with this numeric code, if any.
    pub fn from_code(code: u32) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|kind| kind.code() == code)
    }

    /// A short snake_case name, the same in every language (`not_found`, `timeout`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Disabled => "disabled",
            ErrorKind::Unreachable => "unreachable",
            ErrorKind::Timeout => "timeout",
            ErrorKind::BadRequest => "bad_request",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Throttled => "throttled",
            ErrorKind::ServerError => "server_error",
            ErrorKind::InvalidResponse => "invalid_response",
            ErrorKind::ResponseTooLarge => "response_too_large",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::SignatureInvalid => "signature_invalid",
            ErrorKind::CredentialsError => "credentials_error",
            ErrorKind::Internal => "internal",
        }
    }

    /// A one-line description of the kind, for when no more specific message is at hand.
    pub const fn description(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid input: a path, TTL, endpoint or setting is wrong",
            ErrorKind::Disabled => "IMDS is disabled by configuration (AWS_EC2_METADATA_DISABLED)",
            ErrorKind::Unreachable => "IMDS is unreachable: most likely not running on EC2",
            ErrorKind::Timeout => "IMDS did not answer in time",
            ErrorKind::BadRequest => "IMDS rejected the request as malformed (400)",
            ErrorKind::Unauthorized => "IMDS refused the session token (401)",
            ErrorKind::Forbidden => "IMDS refused the request (403): it may be turned off",
            ErrorKind::NotFound => "the requested item does not exist on this instance (404)",
            ErrorKind::Throttled => "IMDS is throttling requests (429): cache and back off",
            ErrorKind::ServerError => "IMDS had an internal error (5xx)",
            ErrorKind::InvalidResponse => "IMDS sent an answer that could not be understood",
            ErrorKind::ResponseTooLarge => "the answer was larger than the configured limit",
            ErrorKind::Cancelled => "the call was cancelled",
            ErrorKind::SignatureInvalid => "the identity document failed signature verification",
            ErrorKind::CredentialsError => "IMDS returned an error instead of role credentials",
            ErrorKind::Internal => "internal error in the IMDS client: please report it",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An error from the IMDS client.
///
/// Carries a [`kind`](Error::kind) with a stable numeric code, the HTTP status when IMDS
/// answered, and a message that says what happened and what to do. Messages never contain
/// a token, secret key, session token or user-data.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    status: Option<u16>,
    message: String,
}

impl Error {
    /// Creates an error of `kind` with a message for the user.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            status: None,
            message: message.into(),
        }
    }

    /// Attaches the HTTP status IMDS answered with.
    pub fn with_status(mut self, status: u16) -> Error {
        self.status = Some(status);
        self
    }

    /// The category of the error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The stable numeric code of the error's kind.
    pub fn code(&self) -> u32 {
        self.kind.code()
    }

    /// The HTTP status of the last answer, when IMDS answered at all.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The message, without the kind.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// True when the error is [`ErrorKind::NotFound`].
    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }

    /// True when the error is [`ErrorKind::Timeout`].
    pub fn is_timeout(&self) -> bool {
        self.kind == ErrorKind::Timeout
    }

    pub(crate) fn invalid_input(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidInput, message)
    }

    pub(crate) fn invalid_response(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidResponse, message)
    }

    /// The error for a final HTTP status that is not a success.
    pub(crate) fn from_status(status: u16, what: &str) -> Error {
        let (kind, advice) = match status {
            400 => (
                ErrorKind::BadRequest,
                "IMDS rejected the request as malformed; check the path and token TTL",
            ),
            401 => (
                ErrorKind::Unauthorized,
                "IMDS refused a freshly fetched session token; check that nothing between \
                 this process and IMDS rewrites headers",
            ),
            403 => (
                ErrorKind::Forbidden,
                "IMDS refused the request: the metadata endpoint may be disabled for this \
                 instance (HttpEndpoint=disabled) or the request was rejected",
            ),
            404 => (ErrorKind::NotFound, "it does not exist on this instance"),
            405 => (
                ErrorKind::BadRequest,
                "IMDS does not allow this method on that path",
            ),
            429 => (
                ErrorKind::Throttled,
                "IMDS kept throttling after every attempt; cache results and call less often",
            ),
            500..=599 => (
                ErrorKind::ServerError,
                "IMDS kept failing after every attempt; try again later",
            ),
            _ => (
                ErrorKind::InvalidResponse,
                "IMDS answered with an unexpected status",
            ),
        };
        Error::new(kind, format!("{what}: HTTP {status}: {advice}")).with_status(status)
    }
}

/// The result type of every fallible operation in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for kind in ErrorKind::ALL {
            assert!(seen.insert(kind.code()), "duplicate code {}", kind.code());
            assert_eq!(ErrorKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(ErrorKind::from_code(0), None);
    }

    #[test]
    fn published_codes_never_change() {
        let published: Vec<(u32, &str)> = ErrorKind::ALL
            .iter()
            .map(|kind| (kind.code(), kind.name()))
            .collect();
        assert_eq!(
            published,
            vec![
                (1, "invalid_input"),
                (2, "disabled"),
                (3, "unreachable"),
                (4, "timeout"),
                (5, "bad_request"),
                (6, "unauthorized"),
                (7, "forbidden"),
                (8, "not_found"),
                (9, "throttled"),
                (10, "server_error"),
                (11, "invalid_response"),
                (12, "response_too_large"),
                (13, "cancelled"),
                (14, "signature_invalid"),
                (15, "credentials_error"),
                (99, "internal"),
            ]
        );
    }

    #[test]
    fn status_maps_to_kind_and_is_kept() {
        assert_eq!(Error::from_status(404, "x").kind(), ErrorKind::NotFound);
        assert_eq!(Error::from_status(429, "x").kind(), ErrorKind::Throttled);
        assert_eq!(Error::from_status(503, "x").kind(), ErrorKind::ServerError);
        assert_eq!(Error::from_status(403, "x").status(), Some(403));
    }
}
