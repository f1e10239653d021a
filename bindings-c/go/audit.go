package imds

import (
	"context"
	"log/slog"
	"runtime/cgo"
	"sync/atomic"
	"time"
)

// #include "imds.h"
import "C"

// auditSink routes a client's audit events to its *slog.Logger.
type auditSink struct {
	logger *slog.Logger
	// panicked holds a panic raised by the logger inside a callback, which must not
	// unwind through C; the Go side of the call re-raises it.
	panicked atomic.Pointer[any]
}

//export goImdsAudit
func goImdsAudit(event *C.imds_audit_event, handle C.uintptr_t) {
	sink, ok := cgo.Handle(handle).Value().(*auditSink)
	if !ok {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			sink.panicked.CompareAndSwap(nil, &r)
		}
	}()
	sink.log(event)
}

func (s *auditSink) log(event *C.imds_audit_event) {
	operation := C.GoStringN(event.operation, C.int(event.operation_len))
	path := C.GoStringN(event.path, C.int(event.path_len))
	outcome := Kind(event.outcome)
	level, message, result := slog.LevelInfo, "imds access", "success"
	if outcome != 0 {
		level, message, result = slog.LevelWarn, "imds access failed", "error:"+outcome.String()
	}
	s.logger.LogAttrs(context.Background(), level, message,
		slog.String("operation", operation),
		slog.String("path", path),
		slog.Int("status", int(event.status)),
		slog.Int("attempts", int(event.attempts)),
		slog.Duration("latency", time.Duration(event.latency_us)*time.Microsecond),
		slog.String("outcome", result),
		slog.Bool("cached", bool(event.cached)),
	)
}

// rethrow re-raises, on the calling goroutine, a panic that the logger raised during
// a callback.
func (s *auditSink) rethrow() {
	if p := s.panicked.Swap(nil); p != nil {
		panic(*p)
	}
}
