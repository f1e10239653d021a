package imds

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func runtimeGC() {
	runtime.GC()
	time.Sleep(10 * time.Millisecond)
}

// settle waits for goroutines started by a test to end, and reports how many remain
// above base.
func settle(base int) int {
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	return runtime.NumGoroutine() - base
}

// waitUntilHeld returns once n requests (counted since the last counter reset) are held
// open by the never_answer fault. The bound on polls only keeps a broken emulator from
// hanging the suite.
func waitUntilHeld(t *testing.T, n float64) {
	t.Helper()
	for polls := 0; polls < 6000; polls++ {
		var counters struct {
			Unanswered map[string]float64 `json:"unanswered"`
		}
		if err := json.Unmarshal([]byte(admin(t, "GET", "/counters", "")), &counters); err != nil {
			t.Fatal(err)
		}
		if counters.Unanswered["never_answer"] >= n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the emulator never held %v requests", n)
}

func TestContextCancellationEndsTheNativeCallPromptly(t *testing.T) {
	client := newClient(t, Options{Timeout: 20 * time.Second, MaxAttempts: 1})
	if _, err := client.InstanceID(context.Background()); err != nil {
		t.Fatal(err) // the token is fetched before the fault
	}
	faults(t, `{"never_answer":true,"target":"metadata"}`)
	admin(t, "POST", "/counters/reset", "")
	goroutines := runtime.NumGoroutine()

	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() {
		_, err := client.GetMetadata(ctx, "ami-id")
		result <- err
	}()
	// Cancel only once the emulator holds the read: the call is then surely in flight.
	waitUntilHeld(t, 1)
	cancel()
	// The read is held for good and the attempt timeout is 20 s: only the cancellation can
	// end the call, and its kind below says it did.
	err := <-result

	var e *Error
	if !errors.As(err, &e) || e.Kind != KindCancelled || e.Code != 13 {
		t.Fatalf("err = %v", err)
	}
	if !errors.Is(err, ErrCancelled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v does not match ErrCancelled and context.Canceled", err)
	}
	if leaked := settle(goroutines); leaked > 0 {
		t.Fatalf("%d goroutines left behind", leaked)
	}
	if n := liveCancels.Load(); n != 0 {
		t.Fatalf("%d cancel handles not freed", n)
	}
}

func TestContextDeadlineEndsTheNativeCall(t *testing.T) {
	client := newClient(t, Options{Timeout: 20 * time.Second, MaxAttempts: 1})
	if _, err := client.InstanceID(context.Background()); err != nil {
		t.Fatal(err)
	}
	faults(t, `{"never_answer":true,"target":"metadata"}`)

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := client.GetMetadata(ctx, "ami-id")
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	// The context's deadline ended it, not the 20 s attempt timeout: it reaches the native
	// call both as the call's deadline and through its cancel handle, whichever fires
	// first, and the native detail names the one that did.
	if !strings.Contains(err.Error(), "the call's deadline") &&
		!strings.Contains(err.Error(), "the call was cancelled") {
		t.Fatalf("not ended by the context's deadline: %v", err)
	}
	if elapsed := time.Since(start); elapsed < 250*time.Millisecond {
		t.Fatalf("the deadline fired early, after %v", elapsed)
	}

	// A context that already ended never reaches the native library.
	_, err = client.GetMetadata(ctx, "ami-id")
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "before the call") {
		t.Fatalf("expired context: %v", err)
	}
	done, stop := context.WithCancel(context.Background())
	stop()
	_, err = client.Region(done)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrCancelled) {
		t.Fatalf("cancelled context: %v", err)
	}
	if n := liveCancels.Load(); n != 0 {
		t.Fatalf("%d cancel handles not freed", n)
	}
}

func TestManyGoroutinesShareOneClient(t *testing.T) {
	client := newClient(t, Options{NoImmutableCache: true})
	admin(t, "POST", "/counters/reset", "")
	goroutines := runtime.NumGoroutine()

	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			for i := 0; i < 20; i++ {
				var err error
				switch (g + i) % 4 {
				case 0:
					_, err = client.GetMetadata(ctx, "instance-id")
				case 1:
					_, err = client.Region(ctx)
				case 2:
					_, err = client.ListMetadata(ctx, "placement/")
				default:
					_, err = client.Credentials(ctx)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if tokens := counter(t, "token_puts"); tokens != 1 {
		t.Fatalf("%d token fetches for one client, want 1", tokens)
	}
	if leaked := settle(goroutines); leaked > 0 {
		t.Fatalf("%d goroutines left behind", leaked)
	}
	if n := liveCancels.Load(); n != 0 {
		t.Fatalf("%d cancel handles not freed", n)
	}
}

func TestCloseWaitsForCallsInFlight(t *testing.T) {
	client, err := New(Options{Endpoint: emulator.Endpoint, Timeout: 20 * time.Second, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.InstanceID(context.Background()); err != nil {
		t.Fatal(err)
	}
	faults(t, `{"latency_ms":300,"target":"metadata"}`)
	result := make(chan error, 1)
	go func() {
		_, err := client.GetMetadata(context.Background(), "ami-id")
		result <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-result; err != nil {
		t.Fatalf("the call in flight failed: %v", err)
	}
}
