package dev.imds;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The future of one async call, completed by the native side from one of the core's threads.
 *
 * <p>Cancelling it cancels the core's call: the request in flight is dropped and its result, if
 * any, discarded. Completion runs the future's dependent stages on the completing thread, as {@link
 * CompletableFuture} always does; stages that block for long should use the {@code ...Async}
 * variants with an executor of their own.
 */
final class NativeFuture<T> extends CompletableFuture<T> {
  private static final AtomicLong NEXT_CALL = new AtomicLong(1);

  /** The number the native side knows this call by, for {@link Native#cancel}. */
  final long callId = NEXT_CALL.getAndIncrement();

  private final Function<Object, T> decoder;

  NativeFuture(Function<Object, T> decoder) {
    this.decoder = decoder;
  }

  /** Called by the native side with the raw result. */
  void completeFromNative(Object raw) {
    T value;
    try {
      value = decoder.apply(raw);
    } catch (RuntimeException e) {
      ImdsInternalException error =
          new ImdsInternalException(
              "internal error in the IMDS client: " + e + "; please report it");
      error.initCause(e);
      completeExceptionally(error);
      return;
    }
    complete(value);
  }

  /** Called by the native side when the call failed. */
  void failFromNative(int code, int status, String message) {
    completeExceptionally(ImdsException.fromNative(code, status, message));
  }

  @Override
  public boolean cancel(boolean mayInterruptIfRunning) {
    boolean cancelled = super.cancel(mayInterruptIfRunning);
    if (cancelled) {
      Native.cancel(callId);
    }
    return cancelled;
  }
}
