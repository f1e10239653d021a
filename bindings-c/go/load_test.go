package imds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"testing"
	"time"
)

const (
	loadClients         = 2
	goroutinesPerClient = 16
	readsPerGoroutine   = 25
	settlePolls         = 2000
	settlePause         = 10 * time.Millisecond
	// A goroutine reports its first few wrong answers, not every one.
	wrongAnswersShown = 5
)

// Values that differ from one another, so a reply routed to the wrong call shows.
var loadExpected = map[string]string{
	"hostname":    "ip-172-31-16-5.ec2.internal",
	"instance-id": "i-0b22a22eec53b9321",
	"local-ipv4":  "172.31.16.5",
	"mac":         "0e:49:61:0f:c3:11",
}

var loadPaths = []string{"hostname", "instance-id", "local-ipv4", "mac"}

// handles is what the process holds: open descriptors, OS threads and goroutines.
//
// The Go scheduler keeps the OS threads it started parked for reuse and never ends them,
// so how many it has after the load depends on how many goroutines were in native calls
// at once. It counts them itself, in the threadcreate profile (its list of Ms, which also
// holds the Ms kept for callbacks from threads Go did not start: none happens here, as
// the clients have no Logger). The other threads, the core's among them, are the
// difference, and that must come back to the baseline.
type handles struct {
	fds, threads, goThreads, goroutines int
}

func (h handles) String() string {
	return fmt.Sprintf("%d descriptors, %d threads, %d Ms of the Go scheduler, %d goroutines",
		h.fds, h.threads, h.goThreads, h.goroutines)
}

func (h handles) within(baseline handles) bool {
	return h.fds <= baseline.fds && h.goroutines <= baseline.goroutines &&
		h.threads-h.goThreads <= baseline.threads-baseline.goThreads
}

func countEntries(t *testing.T, dir string) int {
	t.Helper()
	// Reading /proc/self/fd opens a descriptor of its own; it is in every figure alike.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

func handlesNow(t *testing.T) handles {
	t.Helper()
	return handles{
		fds:        countEntries(t, "/proc/self/fd"),
		threads:    countEntries(t, "/proc/self/task"),
		goThreads:  pprof.Lookup("threadcreate").Count(),
		goroutines: runtime.NumGoroutine(),
	}
}

// settledWithin returns the figure once the process is back within baseline, or the last
// one seen. Closing is asynchronous: the core's worker threads shut a closed client's
// connections, and an ended goroutine or thread leaves the counts a moment later. Only a
// leak exhausts the bound on polls, which keeps it from hanging the test; the bound
// outlasts the ten seconds for which a tokio runtime keeps an idle thread.
func settledWithin(t *testing.T, baseline handles) handles {
	t.Helper()
	for i := 0; i < settlePolls; i++ {
		if now := handlesNow(t); now.within(baseline) {
			return now
		}
		time.Sleep(settlePause)
	}
	return handlesNow(t)
}

// baselineAfterAWarmUpClient is the count before the load. The core's shared runtime (its
// epoll and waker descriptors, its worker threads) is started by the first call in the
// process and lives as long as the process by design; a call the core refuses before any
// request starts it without opening a connection, so the baseline holds the runtime and
// nothing that closes later.
func baselineAfterAWarmUpClient(t *testing.T) handles {
	t.Helper()
	warmUp, err := New(Options{Endpoint: emulator.Endpoint, Environment: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = warmUp.GetMetadata(context.Background(), "../user-data")
	if !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("the warm-up call was not refused as invalid input: %v", err)
	}
	if err := warmUp.Close(); err != nil {
		t.Fatal(err)
	}
	return handlesNow(t)
}

func TestGoroutinesSharingClientsFetchOneTokenPerClientAndLeaveNothingOpen(t *testing.T) {
	// The emulator is shared by the package's tests; the counters count this test alone.
	// The admin request leaves an idle keep-alive connection (a descriptor, two goroutines)
	// in net/http's pool, here before the baseline and, unless it times out, after.
	admin(t, "POST", "/counters/reset", "")
	clientsBefore := liveClients.Load()
	before := baselineAfterAWarmUpClient(t)

	clients := make([]*Client, loadClients)
	for i := range clients {
		// Every read reaches the emulator, so its counters account for all of them.
		client, err := New(Options{
			Endpoint: emulator.Endpoint, Environment: map[string]string{},
			NoImmutableCache: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		clients[i] = client
	}
	var wg sync.WaitGroup
	failures := make(chan string, loadClients*goroutinesPerClient*wrongAnswersShown)
	for _, client := range clients {
		for g := 0; g < goroutinesPerClient; g++ {
			wg.Add(1)
			go func(client *Client, g int) {
				defer wg.Done()
				// A context that can end gives every call a native cancel handle and a
				// watcher goroutine, which must all be gone afterwards too.
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				shown := 0
				for i := 0; i < readsPerGoroutine; i++ {
					path := loadPaths[(g+i)%len(loadPaths)]
					got, err := client.GetMetadata(ctx, path)
					if (err != nil || got != loadExpected[path]) && shown < wrongAnswersShown {
						failures <- fmt.Sprintf("%s: %q, %v", path, got, err)
						shown++
					}
				}
			}(client, g)
		}
	}
	wg.Wait()
	close(failures)
	for failure := range failures {
		t.Error(failure)
	}
	for _, client := range clients {
		if err := client.Close(); err != nil {
			t.Fatal(err)
		}
	}

	after := settledWithin(t, before)
	if !after.within(before) {
		t.Errorf("left open: before the load %v; after closing the clients %v", before, after)
	}
	if live := liveClients.Load(); live != clientsBefore {
		t.Errorf("%d native clients not freed", live-clientsBefore)
	}
	if n := liveCancels.Load(); n != 0 {
		t.Errorf("%d cancel handles not freed", n)
	}

	var counters struct {
		TokenPuts     int64            `json:"token_puts"`
		TokenRejected int64            `json:"token_rejected"`
		Reads         map[string]int64 `json:"reads"`
	}
	if err := json.Unmarshal([]byte(admin(t, "GET", "/counters", "")), &counters); err != nil {
		t.Fatal(err)
	}
	// One token for all the goroutines sharing a client.
	if counters.TokenPuts != loadClients || counters.TokenRejected != 0 {
		t.Errorf("token fetches: %+v, want %d granted and none refused", counters, loadClients)
	}
	reads := int64(loadClients * goroutinesPerClient * readsPerGoroutine)
	if len(counters.Reads) != 1 || counters.Reads["200"] != reads {
		t.Errorf("reads: %v, want %d answered 200 and nothing else", counters.Reads, reads)
	}
}
