// Package imds is a client for the EC2 Instance Metadata Service (IMDSv2), over the
// project's C library (libimds), itself over the Rust core: session tokens cached and
// shared, retries with backoff, caching of values that cannot change, role
// credentials refreshed ahead of expiry, and the same errors, settings and audit
// events as in every other language of the project.
//
//	client, err := imds.New(imds.Options{})
//	if err != nil { ... }
//	defer client.Close()
//	region, err := client.Region(ctx)
//
// Every method that talks to IMDS takes a context first: cancelling it, or its
// deadline passing, ends the call promptly with a KindCancelled or KindTimeout
// *Error that also matches context.Canceled or context.DeadlineExceeded.
//
// A Client is safe for use by any number of goroutines at once. Close releases it
// and is idempotent; a finalizer releases a Client that was never closed.
package imds

import (
	"context"
	"log/slog"
	"math"
	"runtime"
	"runtime/cgo"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// #cgo CFLAGS: -I${SRCDIR}/../include
// #include <stdlib.h>
// #include "imds.h"
// #include "bridge.h"
import "C"

// Options configure a Client. The zero value is the default configuration: every
// setting left zero comes from the environment, then the shared AWS config file's
// profile, then the built-in default, exactly as in the other languages.
type Options struct {
	// Endpoint is the IMDS base URL, such as "http://127.0.0.1:1338". Default: from
	// EndpointMode, "http://169.254.169.254". Beats an endpoint mode from any source.
	Endpoint string
	// EndpointMode is "IPv4" or "IPv6". Default: "IPv4".
	EndpointMode string
	// Disabled turns IMDS off: every call fails with KindDisabled, sending nothing.
	// Default: false (or AWS_EC2_METADATA_DISABLED).
	Disabled bool
	// V1Disabled forbids the IMDSv1 fallback from any source. Default: false.
	V1Disabled bool
	// V1Fallback allows tokenless IMDSv1 requests when no token can be had.
	// Default: false.
	V1Fallback bool
	// TokenTTL is the session token lifetime to ask for, whole seconds from 1 s to 6 h.
	// Default: 300 s.
	TokenTTL time.Duration
	// Timeout is the time allowed for one attempt. Default: 1 s.
	Timeout time.Duration
	// ConnectTimeout is the time allowed to connect, capped at Timeout. Default: 1 s.
	ConnectTimeout time.Duration
	// MaxAttempts is the number of attempts per request, 1 to 20. Default: 3.
	MaxAttempts int
	// Deadline bounds every call, retries included, besides the context's deadline.
	// Default: none.
	Deadline time.Duration
	// BackoffBase and BackoffMax are the first backoff step and its ceiling (full
	// jitter). Default: 100 ms and 1 s.
	BackoffBase, BackoffMax time.Duration
	// UnreachableMemory is how long a refused or timed-out endpoint is remembered so
	// that later calls fail at once. Default: 10 s; negative turns it off.
	UnreachableMemory time.Duration
	// MaxResponseSize is the largest body accepted, in bytes. Default: 1 MiB.
	MaxResponseSize int
	// NoImmutableCache turns off caching of values that cannot change while the
	// instance runs (instance id, region, identity document, ...). Default: cached.
	NoImmutableCache bool
	// ConfigFile is the shared AWS config file. Default: AWS_CONFIG_FILE, else
	// ~/.aws/config.
	ConfigFile string
	// Profile is the profile to read in it. Default: AWS_PROFILE, else "default".
	Profile string
	// Environment, when not nil, replaces the process environment for this client:
	// only these variables are seen. Default: the process environment.
	Environment map[string]string
	// Logger receives one audit event per token fetch and metadata access: Info on
	// success, Warn on failure, never with a secret. Default: none.
	Logger *slog.Logger
}

// Client is an IMDSv2 client. Create it with New; it is safe for concurrent use.
type Client struct {
	mu    sync.RWMutex
	ptr   *C.imds_client
	audit *auditSink
	// handle keeps the audit sink reachable from C; deleted on Close.
	handle cgo.Handle
}

// live counts native clients not yet freed, for the tests.
var liveClients atomic.Int64

// New builds a Client from opts. It checks every setting (from opts, the
// environment and the profile) and fails with a KindInvalidInput *Error naming a bad
// one; it sends nothing.
func New(opts Options) (*Client, error) {
	var config *C.imds_config
	if rc := C.imds_config_new(&config); rc != C.IMDS_OK {
		return nil, lastError(rc, nil)
	}
	defer C.imds_config_free(config)

	if err := applyOptions(config, &opts); err != nil {
		return nil, err
	}
	client := &Client{}
	if opts.Logger != nil {
		client.audit = &auditSink{logger: opts.Logger}
		client.handle = cgo.NewHandle(client.audit)
		if rc := C.imds_go_set_audit(config, C.uintptr_t(client.handle)); rc != C.IMDS_OK {
			client.handle.Delete()
			return nil, lastError(rc, nil)
		}
	}
	runtime.LockOSThread()
	rc := C.imds_client_new(config, &client.ptr)
	err := lastError(rc, nil)
	runtime.UnlockOSThread()
	if err != nil {
		if opts.Logger != nil {
			client.handle.Delete()
		}
		return nil, err
	}
	liveClients.Add(1)
	runtime.SetFinalizer(client, (*Client).Close)
	return client, nil
}

func applyOptions(config *C.imds_config, o *Options) error {
	type setting struct {
		set bool
		fn  func() C.imds_result
	}
	ms := func(d time.Duration) C.uint64_t {
		return C.uint64_t((d + time.Millisecond - 1) / time.Millisecond)
	}
	settings := []setting{
		{o.Endpoint != "", func() C.imds_result {
			return withString(o.Endpoint, func(p *C.char, n C.size_t) C.imds_result {
				return C.imds_config_set_endpoint(config, p, n)
			})
		}},
		{o.EndpointMode != "", func() C.imds_result {
			return withString(o.EndpointMode, func(p *C.char, n C.size_t) C.imds_result {
				return C.imds_config_set_endpoint_mode(config, p, n)
			})
		}},
		{o.ConfigFile != "", func() C.imds_result {
			return withString(o.ConfigFile, func(p *C.char, n C.size_t) C.imds_result {
				return C.imds_config_set_config_file(config, p, n)
			})
		}},
		{o.Profile != "", func() C.imds_result {
			return withString(o.Profile, func(p *C.char, n C.size_t) C.imds_result {
				return C.imds_config_set_profile(config, p, n)
			})
		}},
		{o.Disabled, func() C.imds_result { return C.imds_config_set_disabled(config, true) }},
		{o.V1Disabled, func() C.imds_result { return C.imds_config_set_v1_disabled(config, true) }},
		{o.V1Fallback, func() C.imds_result { return C.imds_config_set_v1_fallback(config, true) }},
		{o.TokenTTL != 0, func() C.imds_result {
			secs := o.TokenTTL / time.Second
			if o.TokenTTL < 0 || o.TokenTTL%time.Second != 0 || secs > math.MaxUint32 {
				secs = 0 // the core refuses it, with the message users expect
			}
			return C.imds_config_set_token_ttl_secs(config, C.uint32_t(secs))
		}},
		{o.Timeout != 0, func() C.imds_result {
			return C.imds_config_set_timeout_ms(config, ms(max(o.Timeout, 0)))
		}},
		{o.ConnectTimeout != 0, func() C.imds_result {
			return C.imds_config_set_connect_timeout_ms(config, ms(max(o.ConnectTimeout, 0)))
		}},
		{o.MaxAttempts != 0, func() C.imds_result {
			attempts := o.MaxAttempts
			if attempts < 0 || attempts > math.MaxUint32 {
				attempts = 0
			}
			return C.imds_config_set_max_attempts(config, C.uint32_t(attempts))
		}},
		{o.Deadline != 0, func() C.imds_result {
			return C.imds_config_set_deadline_ms(config, ms(max(o.Deadline, 0)))
		}},
		{o.BackoffBase != 0 || o.BackoffMax != 0, func() C.imds_result {
			base, ceiling := o.BackoffBase, o.BackoffMax
			if base == 0 {
				base = 100 * time.Millisecond
			}
			if ceiling == 0 {
				ceiling = max(time.Second, base)
			}
			return C.imds_config_set_backoff_ms(config, ms(max(base, 0)), ms(max(ceiling, 0)))
		}},
		{o.UnreachableMemory != 0, func() C.imds_result {
			return C.imds_config_set_unreachable_memory_ms(config, ms(max(o.UnreachableMemory, 0)))
		}},
		{o.MaxResponseSize != 0, func() C.imds_result {
			return C.imds_config_set_max_response_size(config, C.size_t(max(o.MaxResponseSize, 0)))
		}},
		{o.NoImmutableCache, func() C.imds_result { return C.imds_config_set_cache_immutable(config, false) }},
		{o.Environment != nil, func() C.imds_result { return C.imds_config_clear_environment(config) }},
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for _, s := range settings {
		if !s.set {
			continue
		}
		if rc := s.fn(); rc != C.IMDS_OK {
			return lastError(rc, nil)
		}
	}
	for name, value := range o.Environment {
		rc := withString(name, func(np *C.char, nn C.size_t) C.imds_result {
			return withString(value, func(vp *C.char, vn C.size_t) C.imds_result {
				return C.imds_config_set_environment_var(config, np, nn, vp, vn)
			})
		})
		if rc != C.IMDS_OK {
			return lastError(rc, nil)
		}
	}
	return nil
}

// Close releases the client. It waits for calls in flight, is safe to call more than
// once and from any goroutine, and always returns nil; later calls fail with an
// *Error wrapping ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ptr == nil {
		return nil
	}
	C.imds_client_free(c.ptr)
	c.ptr = nil
	liveClients.Add(-1)
	// The native client is gone, so no audit event can reach the handle any more.
	if c.audit != nil {
		c.handle.Delete()
	}
	runtime.SetFinalizer(c, nil)
	return nil
}

// ClearCaches forgets the cached token, immutable values, credentials and the memory
// of an unreachable endpoint.
func (c *Client) ClearCaches() {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr != nil {
		C.imds_client_clear_caches(c.ptr)
	}
	runtime.KeepAlive(c)
}

// emptyByte gives empty Go strings a non-NULL address, as the C API requires.
var emptyByte C.char

// withString passes s to C as a pointer and a length, without copying: the bytes
// hold no Go pointer and C does not keep them after the call.
func withString(s string, call func(*C.char, C.size_t) C.imds_result) C.imds_result {
	if len(s) == 0 {
		return call(&emptyByte, 0)
	}
	return call((*C.char)(unsafe.Pointer(unsafe.StringData(s))), C.size_t(len(s)))
}

// liveCancels counts native cancel handles not yet freed, for the tests.
var liveCancels atomic.Int64

// call runs one native call with the client, the context's deadline and, when the
// context can be cancelled, a cancel handle that a watcher goroutine triggers on
// ctx.Done(). The watcher has exited and the handle is freed before call returns.
func (c *Client) call(ctx context.Context, native func(*C.imds_client, *C.imds_call_options) C.imds_result) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return contextError(ctx)
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr == nil {
		return newError(KindInvalidInput, 0, "the client is closed", ErrClosed)
	}

	var options C.imds_call_options
	if deadline, ok := ctx.Deadline(); ok {
		left := time.Until(deadline)
		if left <= 0 {
			return contextError(ctx)
		}
		options.deadline_ms = C.uint64_t((left + time.Millisecond - 1) / time.Millisecond)
	}
	if done := ctx.Done(); done != nil {
		var cancel *C.imds_cancel
		if rc := C.imds_cancel_new(&cancel); rc != C.IMDS_OK {
			return newError(KindInternal, 0, "could not create a cancel handle", nil)
		}
		liveCancels.Add(1)
		stop := make(chan struct{})
		watcher := make(chan struct{})
		go func() {
			defer close(watcher)
			select {
			case <-done:
				C.imds_cancel_cancel(cancel)
			case <-stop:
			}
		}()
		defer func() {
			close(stop)
			<-watcher
			C.imds_cancel_free(cancel)
			liveCancels.Add(-1)
		}()
		options.cancel = cancel
	}

	// The detail of a failure is kept per OS thread: read it on the same one.
	runtime.LockOSThread()
	rc := native(c.ptr, &options)
	err := lastError(rc, ctx)
	runtime.UnlockOSThread()
	runtime.KeepAlive(c)
	if c.audit != nil {
		c.audit.rethrow()
	}
	return err
}

// lastError turns a result code and the calling thread's last-error detail into an
// *Error; nil for IMDS_OK. The caller has locked the OS thread.
func lastError(rc C.imds_result, ctx context.Context) error {
	if rc == C.IMDS_OK {
		return nil
	}
	n := C.imds_last_error_message(nil, 0)
	buf := make([]byte, int(n)+1)
	C.imds_last_error_message((*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)))
	kind, cause := Kind(rc), error(nil)
	if ctx != nil && (kind == KindCancelled || kind == KindTimeout) {
		kind, cause = contextCause(ctx, kind)
	}
	return newError(kind, int(C.imds_last_error_status()), string(buf[:n]), cause)
}

// contextCause tells why a call that ended with kind (cancelled or timeout) ended,
// when the context is the reason: its deadline (KindTimeout, DeadlineExceeded) or its
// cancellation (KindCancelled, Canceled). The per-call deadline handed to C and the
// context's own timer race, so a passed deadline counts even before ctx.Err() says so.
func contextCause(ctx context.Context, kind Kind) (Kind, error) {
	deadline, hasDeadline := ctx.Deadline()
	switch {
	case ctx.Err() == context.DeadlineExceeded,
		hasDeadline && !time.Now().Before(deadline):
		return KindTimeout, context.DeadlineExceeded
	case ctx.Err() == context.Canceled:
		return KindCancelled, context.Canceled
	}
	return kind, nil
}

// contextError is the error for a context that ended before the call started.
func contextError(ctx context.Context) error {
	kind, cause := contextCause(ctx, KindCancelled)
	if kind == KindTimeout {
		return newError(kind, 0, "the context's deadline passed before the call started", cause)
	}
	return newError(kind, 0, "the context was cancelled before the call started", cause)
}
