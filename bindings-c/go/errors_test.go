package imds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"
)

// Every kind, produced for real against the emulator.
func TestEveryErrorKind(t *testing.T) {
	ctx := context.Background()
	quick := func(t *testing.T, opts Options) *Client {
		opts.Timeout, opts.MaxAttempts, opts.UnreachableMemory = time.Second, 2, -1
		return newClient(t, opts)
	}
	closedPort := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return "http://" + l.Addr().String()
	}()
	unrelated, err := os.ReadFile("../tests/fixtures/unrelated-rsa-cert.pem")
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name     string
		kind     Kind
		sentinel error
		status   int
		run      func(t *testing.T) error
	}{
		{"invalid input", KindInvalidInput, ErrInvalidInput, 0, func(t *testing.T) error {
			_, err := quick(t, Options{}).GetMetadata(ctx, "../etc/passwd")
			return err
		}},
		{"disabled", KindDisabled, ErrDisabled, 0, func(t *testing.T) error {
			_, err := quick(t, Options{Disabled: true}).GetMetadata(ctx, "instance-id")
			return err
		}},
		{"unreachable", KindUnreachable, ErrUnreachable, 0, func(t *testing.T) error {
			_, err := quick(t, Options{Endpoint: closedPort}).GetMetadata(ctx, "instance-id")
			return err
		}},
		{"timeout", KindTimeout, ErrTimeout, 0, func(t *testing.T) error {
			client := quick(t, Options{})
			_, _ = client.InstanceID(ctx)
			faults(t, `{"never_answer":true,"target":"metadata"}`)
			_, err := client.GetMetadata(ctx, "ami-id")
			return err
		}},
		{"bad request", KindBadRequest, ErrBadRequest, 400, func(t *testing.T) error {
			faults(t, `{"error_status":400,"error_count":1,"target":"metadata"}`)
			_, err := quick(t, Options{}).GetMetadata(ctx, "instance-id")
			return err
		}},
		{"unauthorized", KindUnauthorized, ErrUnauthorized, 401, func(t *testing.T) error {
			faults(t, `{"error_status":401,"error_count":5,"target":"metadata"}`)
			_, err := quick(t, Options{}).GetMetadata(ctx, "instance-id")
			return err
		}},
		{"forbidden", KindForbidden, ErrForbidden, 403, func(t *testing.T) error {
			admin(t, "PUT", "/mode", `{"http_endpoint":"disabled"}`)
			defer admin(t, "PUT", "/mode", `{"http_endpoint":"enabled"}`)
			_, err := quick(t, Options{}).GetMetadata(ctx, "instance-id")
			return err
		}},
		{"not found", KindNotFound, ErrNotFound, 404, func(t *testing.T) error {
			_, err := quick(t, Options{}).GetMetadata(ctx, "no/such/item")
			return err
		}},
		{"throttled", KindThrottled, ErrThrottled, 429, func(t *testing.T) error {
			faults(t, `{"error_status":429,"error_count":10,"target":"metadata"}`)
			_, err := quick(t, Options{}).GetMetadata(ctx, "instance-id")
			return err
		}},
		{"server error", KindServerError, ErrServerError, 503, func(t *testing.T) error {
			faults(t, `{"error_status":503,"error_count":10,"target":"metadata"}`)
			_, err := quick(t, Options{}).GetMetadata(ctx, "instance-id")
			return err
		}},
		{"invalid response", KindInvalidResponse, ErrInvalidResponse, 0, func(t *testing.T) error {
			original := admin(t, "GET", "/config", "")
			defer admin(t, "PUT", "/config", original)
			admin(t, "PUT", "/metadata/iam/info", "not JSON")
			_, err := quick(t, Options{}).IAMInfo(ctx)
			return err
		}},
		{"response too large", KindResponseTooLarge, ErrResponseTooLarge, 0, func(t *testing.T) error {
			_, err := quick(t, Options{MaxResponseSize: 4}).GetMetadata(ctx, "instance-id")
			return err
		}},
		{"cancelled", KindCancelled, ErrCancelled, 0, func(t *testing.T) error {
			cancelled, cancel := context.WithCancel(ctx)
			cancel()
			_, err := quick(t, Options{}).GetMetadata(cancelled, "instance-id")
			return err
		}},
		{"signature invalid", KindSignatureInvalid, ErrSignatureInvalid, 0, func(t *testing.T) error {
			_, err := quick(t, Options{}).VerifiedIdentityDocument(ctx, string(unrelated))
			return err
		}},
		{"credentials error", KindCredentialsError, ErrCredentials, 200, func(t *testing.T) error {
			admin(t, "PUT", "/credentials", `{"mode":"error"}`)
			defer admin(t, "PUT", "/credentials", `{"mode":"success"}`)
			_, err := quick(t, Options{}).Credentials(ctx)
			return err
		}},
		{"internal", KindInternal, ErrInternal, 0, func(t *testing.T) error {
			// Calling the client from inside its own audit callback is a misuse the
			// library reports as internal instead of deadlocking.
			reentrant := &reentrantHandler{}
			client := quick(t, Options{Logger: slog.New(reentrant)})
			reentrant.client = client
			if _, err := client.InstanceID(ctx); err != nil {
				t.Fatal(err)
			}
			return reentrant.err
		}},
	}
	seen := map[Kind]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run(t)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("want an *Error of kind %s, got %v", tc.kind, err)
			}
			if e.Kind != tc.kind || e.Code != int(tc.kind) || e.StatusCode != tc.status {
				t.Fatalf("got kind %s code %d status %d (%v), want %s %d %d",
					e.Kind, e.Code, e.StatusCode, err, tc.kind, int(tc.kind), tc.status)
			}
			if !errors.Is(err, tc.sentinel) || errors.Is(err, ErrInternal) != (tc.kind == KindInternal) {
				t.Fatalf("errors.Is does not match %v for %v", tc.sentinel, err)
			}
			if e.Message == "" || e.Error() == "" {
				t.Fatal("empty message")
			}
			seen[tc.kind] = true
		})
	}
	if len(seen) != len(kindNames) {
		t.Fatalf("covered %d kinds of %d", len(seen), len(kindNames))
	}
}

// reentrantHandler calls the client from its Handle method, once.
type reentrantHandler struct {
	client *Client
	err    error
	done   bool
}

func (h *reentrantHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *reentrantHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *reentrantHandler) WithGroup(string) slog.Handler            { return h }
func (h *reentrantHandler) Handle(context.Context, slog.Record) error {
	if h.client != nil && !h.done {
		h.done = true
		_, h.err = h.client.GetMetadata(context.Background(), "ami-id")
	}
	return nil
}

func TestKindNamesAndCodes(t *testing.T) {
	want := map[Kind]string{1: "invalid_input", 8: "not_found", 13: "cancelled", 99: "internal"}
	for kind, name := range want {
		if kind.String() != name {
			t.Errorf("%d: %s, want %s", int(kind), kind, name)
		}
	}
	if Kind(42).String() != "kind(42)" {
		t.Error(Kind(42).String())
	}
	err := fmt.Errorf("wrapped: %w", newError(KindNotFound, 404, "gone", nil))
	if !errors.Is(err, ErrNotFound) || errors.Is(err, ErrTimeout) {
		t.Fatal("errors.Is through a wrapper")
	}
}
