// Command imds-bench-go is the benchmark runner for the Go clients:
//
//	imds-bench-go CLIENT WORKLOAD ENDPOINT CONCURRENCY AMOUNT
//
// It is built twice from this module, one client per binary, so neither carries the other's
// code or start-up: imds-bench-go runs the peer, the IMDS client of the AWS SDK for Go v2
// (feature/ec2/imds) and its role credentials provider (ec2rolecreds), in pure Go (sdk.go);
// imds-bench-go-imds, built with -tags imds_binding, runs this project's package imds over
// the release libimds.a through cgo (binding.go).
//
// It prints one JSON line; the protocol is in bench/README.md. Concurrency is goroutines
// sharing one client.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// readPath is mutable on EC2, so no client may answer it from a cache.
const readPath = "local-ipv4"

type op func(ctx context.Context) error

// opener builds one client with its library defaults and only the endpoint set, and
// returns its metadata read and its credentials read.
type opener func(endpoint string) (read, creds op, err error)

// clients holds the client this binary was built with, registered by its file's init.
var clients = map[string]opener{}

type samples struct {
	Ops        int     `json:"ops"`
	Errors     int     `json:"errors"`
	WarmOps    int     `json:"warm_ops"`
	ElapsedS   float64 `json:"elapsed_s"`
	FirstError *string `json:"first_error"`
	LatNs      []int64 `json:"lat_ns"`
}

// hwmKB is this process's peak RSS. It is measured here because the harness's wait4 figure
// also counts the harness's own memory, shared with the child until it execs.
func hwmKB() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			value := strings.TrimSuffix(strings.TrimSpace(rest), "kB")
			kb, _ := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
			return kb
		}
	}
	return 0
}

func hammer(call op, concurrency int, duration time.Duration) samples {
	ctx := context.Background()
	// One untimed call first, so lazy initialisation does not eat into the window.
	_ = call(ctx)
	warmUntil := time.Now().Add(duration / 4)
	end := warmUntil.Add(duration)
	var mu sync.Mutex
	var wg sync.WaitGroup
	all := samples{ElapsedS: duration.Seconds(), LatNs: []int64{}}
	for i := 0; i < concurrency; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []int64
			errors := 0
			var firstError *string
			warm := 0
			for time.Now().Before(warmUntil) {
				_ = call(ctx)
				warm++
			}
			for {
				started := time.Now()
				if !started.Before(end) {
					break
				}
				if err := call(ctx); err != nil {
					errors++
					if firstError == nil {
						msg := err.Error()
						firstError = &msg
					}
					continue
				}
				lat = append(lat, time.Since(started).Nanoseconds())
			}
			mu.Lock()
			defer mu.Unlock()
			all.LatNs = append(all.LatNs, lat...)
			all.Errors += errors
			all.WarmOps += warm
			if all.FirstError == nil {
				all.FirstError = firstError
			}
		}()
	}
	wg.Wait()
	all.Ops = len(all.LatNs)
	return all
}

func names() []string {
	out := []string{}
	for name := range clients {
		out = append(out, name)
	}
	return out
}

func main() {
	processStart := time.Now()
	if len(os.Args) != 6 {
		fmt.Fprintln(os.Stderr, "usage: imds-bench-go CLIENT WORKLOAD ENDPOINT CONCURRENCY AMOUNT")
		os.Exit(2)
	}
	client, workload, endpoint := os.Args[1], os.Args[2], strings.TrimRight(os.Args[3], "/")
	concurrency, err1 := strconv.Atoi(os.Args[4])
	amount, err2 := strconv.Atoi(os.Args[5])
	open, known := clients[client]
	if err1 != nil || err2 != nil || !known {
		fmt.Fprintf(os.Stderr, "imds-bench-go: bad arguments (this build runs client %s)\n",
			strings.Join(names(), ", "))
		os.Exit(2)
	}
	read, creds, err := open(endpoint)
	if err != nil {
		fmt.Fprintf(os.Stderr, "imds-bench-go: %s: %v\n", client, err)
		os.Exit(2)
	}
	var out any
	switch workload {
	case "read", "creds":
		call := read
		if workload == "creds" {
			call = creds
		}
		out = hammer(call, concurrency, time.Duration(amount)*time.Millisecond)
	case "cold":
		err := read(context.Background())
		result := map[string]any{
			"first_value_ns": time.Since(processStart).Nanoseconds(),
			"ok":             err == nil,
			"error":          nil,
		}
		if err != nil {
			result["error"] = err.Error()
		}
		out = result
	case "offline":
		calls := []int64{}
		outcomes := []string{}
		for i := 0; i < amount; i++ {
			started := time.Now()
			err := read(context.Background())
			calls = append(calls, time.Since(started).Nanoseconds())
			if err != nil {
				outcomes = append(outcomes, err.Error())
			} else {
				outcomes = append(outcomes, "ok")
			}
		}
		out = map[string]any{"calls_ns": calls, "outcomes": outcomes}
	default:
		fmt.Fprintf(os.Stderr, "imds-bench-go: unknown workload %q\n", workload)
		os.Exit(2)
	}
	line, err := json.Marshal(out)
	if err != nil {
		os.Exit(1)
	}
	// Spliced in last, so the peak includes everything the workload allocated.
	fmt.Printf("{\"hwm_kb\":%d,%s\n", hwmKB(), line[1:])
}
