package imds

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

func discardLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// lockedBuffer collects log output from many goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestAuditEventsGoToSlog(t *testing.T) {
	ctx := context.Background()
	var out lockedBuffer
	logger := slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	client := newClient(t, Options{Logger: logger})

	if _, err := client.GetMetadata(ctx, "instance-type"); err != nil {
		t.Fatal(err)
	}
	if _, err := client.GetMetadata(ctx, "missing"); err == nil {
		t.Fatal("want not found")
	}
	creds, err := client.Credentials(ctx)
	if err != nil {
		t.Fatal(err)
	}

	var records []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var record map[string]any
		if err := json.Unmarshal([]byte(line), &record); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		records = append(records, record)
	}
	find := func(operation, path string) map[string]any {
		for _, r := range records {
			if r["operation"] == operation && (path == "*" || r["path"] == path) {
				return r
			}
		}
		t.Fatalf("no %s %s event in %v", operation, path, records)
		return nil
	}
	token := find("token", "*")
	if token["level"] != "INFO" || token["status"] != float64(200) {
		t.Fatalf("token event %v", token)
	}
	ok := find("get_metadata", "instance-type")
	if ok["outcome"] != "success" || ok["attempts"] != float64(1) || ok["msg"] != "imds access" {
		t.Fatalf("success event %v", ok)
	}
	missing := find("get_metadata", "missing")
	if missing["level"] != "WARN" || missing["outcome"] != "error:not_found" || missing["status"] != float64(404) {
		t.Fatalf("failure event %v", missing)
	}
	for _, secret := range []string{creds.SecretAccessKey.Reveal(), creds.SessionToken.Reveal()} {
		if strings.Contains(out.String(), secret) {
			t.Fatal("a secret reached the log")
		}
	}
}

// panickyHandler panics in Handle: the panic must come back on the Go side, not
// unwind through the C library.
type panickyHandler struct{ reentrantHandler }

func (*panickyHandler) Handle(context.Context, slog.Record) error { panic("handler bug") }

func TestALoggerPanicIsReRaisedInGo(t *testing.T) {
	client := newClient(t, Options{Logger: slog.New(&panickyHandler{})})
	defer func() {
		if r := recover(); r != "handler bug" {
			t.Fatalf("recovered %v", r)
		}
	}()
	_, _ = client.InstanceID(context.Background())
	t.Fatal("the panic was swallowed")
}
