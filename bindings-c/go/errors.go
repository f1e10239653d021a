package imds

import (
	"errors"
	"fmt"
)

// Kind is the category of an error, with the stable numeric code shared by every
// language of the project: a Kind's value is its code, and codes are never reused.
// Each kind has a sentinel error (ErrNotFound for KindNotFound, ...) for errors.Is.
type Kind int

// The kinds of error, with their published codes.
const (
	KindInvalidInput     Kind = 1  // bad path, TTL, endpoint, mode or argument; nothing sent
	KindDisabled         Kind = 2  // IMDS turned off by configuration; nothing sent
	KindUnreachable      Kind = 3  // connection refused or timed out: most likely not on EC2
	KindTimeout          Kind = 4  // no answer in time, or the context's deadline passed
	KindBadRequest       Kind = 5  // HTTP 400
	KindUnauthorized     Kind = 6  // HTTP 401, still, after a fresh token
	KindForbidden        Kind = 7  // HTTP 403: IMDS off for the instance, or refused
	KindNotFound         Kind = 8  // HTTP 404: path, role, user-data or notice absent
	KindThrottled        Kind = 9  // HTTP 429 on every attempt
	KindServerError      Kind = 10 // HTTP 5xx on every attempt
	KindInvalidResponse  Kind = 11 // malformed body, JSON document or header
	KindResponseTooLarge Kind = 12 // body over the configured limit
	KindCancelled        Kind = 13 // the context was cancelled
	KindSignatureInvalid Kind = 14 // identity document failed verification
	KindCredentialsError Kind = 15 // IMDS sent an error document instead of credentials
	KindInternal         Kind = 99 // a bug in the library; please report it
)

// Sentinel errors, one per kind: errors.Is(err, imds.ErrNotFound) is true for an
// *Error of KindNotFound, however wrapped.
var (
	ErrInvalidInput     error = &sentinel{KindInvalidInput}
	ErrDisabled         error = &sentinel{KindDisabled}
	ErrUnreachable      error = &sentinel{KindUnreachable}
	ErrTimeout          error = &sentinel{KindTimeout}
	ErrBadRequest       error = &sentinel{KindBadRequest}
	ErrUnauthorized     error = &sentinel{KindUnauthorized}
	ErrForbidden        error = &sentinel{KindForbidden}
	ErrNotFound         error = &sentinel{KindNotFound}
	ErrThrottled        error = &sentinel{KindThrottled}
	ErrServerError      error = &sentinel{KindServerError}
	ErrInvalidResponse  error = &sentinel{KindInvalidResponse}
	ErrResponseTooLarge error = &sentinel{KindResponseTooLarge}
	ErrCancelled        error = &sentinel{KindCancelled}
	ErrSignatureInvalid error = &sentinel{KindSignatureInvalid}
	ErrCredentials      error = &sentinel{KindCredentialsError}
	ErrInternal         error = &sentinel{KindInternal}
)

// sentinel is the error value standing for a whole kind.
type sentinel struct{ kind Kind }

func (s *sentinel) Error() string { return "imds: " + s.kind.String() }

// ErrClosed is the cause of the KindInvalidInput error returned by a call on a closed
// Client.
var ErrClosed = errors.New("imds: the client is closed")

var kindNames = map[Kind]string{
	KindInvalidInput:     "invalid_input",
	KindDisabled:         "disabled",
	KindUnreachable:      "unreachable",
	KindTimeout:          "timeout",
	KindBadRequest:       "bad_request",
	KindUnauthorized:     "unauthorized",
	KindForbidden:        "forbidden",
	KindNotFound:         "not_found",
	KindThrottled:        "throttled",
	KindServerError:      "server_error",
	KindInvalidResponse:  "invalid_response",
	KindResponseTooLarge: "response_too_large",
	KindCancelled:        "cancelled",
	KindSignatureInvalid: "signature_invalid",
	KindCredentialsError: "credentials_error",
	KindInternal:         "internal",
}

// String gives the kind's snake_case name, the same in every language ("not_found").
func (k Kind) String() string {
	if name, ok := kindNames[k]; ok {
		return name
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is what every failing call returns: the kind, its code, the HTTP status IMDS
// answered (0 when it did not) and a message that says what happened and what to do.
// Messages never contain a token, key or user-data.
//
// errors.Is(err, imds.ErrNotFound) matches on the kind; errors.Is(err,
// context.Canceled) and errors.Is(err, context.DeadlineExceeded) match when the
// context ended the call.
type Error struct {
	Kind       Kind
	Code       int
	StatusCode int
	Message    string
	cause      error
}

func (e *Error) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("imds %s (HTTP %d): %s", e.Kind, e.StatusCode, e.Message)
	}
	return fmt.Sprintf("imds %s: %s", e.Kind, e.Message)
}

// Is reports whether target is the sentinel of e's kind.
func (e *Error) Is(target error) bool {
	s, ok := target.(*sentinel)
	return ok && s.kind == e.Kind
}

// Unwrap gives the cause: the context's error when the context ended the call,
// ErrClosed for a call on a closed client, nil otherwise.
func (e *Error) Unwrap() error {
	return e.cause
}

func newError(kind Kind, status int, message string, cause error) *Error {
	return &Error{Kind: kind, Code: int(kind), StatusCode: status, Message: message, cause: cause}
}
