package dev.imds;

/**
 * The native half of the client: the only class with {@code native} methods, and the only one the
 * native library calls back into.
 *
 * <p>Handles are {@code long}s owned by {@link ImdsClient}; this class neither checks nor frees
 * them. Every native method is safe to call from any thread. A native failure arrives as an
 * exception built by {@link #error}; a panic in native code arrives as {@link
 * ImdsInternalException}, never as a crashed JVM.
 */
final class Native {
  static {
    NativeLoader.load();
    init();
  }

  /** The longest token TTL the core accepts, in seconds. */
  static final long MAX_TOKEN_TTL_SECONDS;

  /** The most attempts per request the core accepts. */
  static final int MAX_ATTEMPTS;

  static {
    long[] limits = limits();
    MAX_TOKEN_TTL_SECONDS = limits[0];
    MAX_ATTEMPTS = Math.toIntExact(limits[1]);
  }

  private Native() {}

  /**
   * The operations of the client. The ordinal is the code the native side knows; {@link
   * #operations()} lists the native names in code order, and a test compares the two.
   */
  enum Op {
    GET_METADATA,
    LIST_METADATA,
    GET_DYNAMIC,
    USER_DATA,
    IDENTITY_DOCUMENT,
    REGION,
    AVAILABILITY_ZONE,
    INSTANCE_ID,
    CREDENTIALS,
    CREDENTIALS_FOR_ROLE,
    IAM_INFO,
    INSTANCE_TAGS,
    NETWORK_INTERFACES,
    SPOT_INSTANCE_ACTION,
    REBALANCE_RECOMMENDATION,
    SCHEDULED_EVENTS,
    AUTOSCALING_TARGET_STATE,
    VERIFIED_IDENTITY_DOCUMENT,
    VERIFIED_IDENTITY_DOCUMENT_PKCS7,
    GET_METADATA_BYTES,
    IDENTITY_DOCUMENT_BYTES,
    ROLE_NAME
  }

  /** Caches this class for calls from the core's threads. */
  private static native void init();

  /** The core's limits: the longest token TTL in seconds, then the most attempts. */
  private static native long[] limits();

  /** The native names of the operations, in code order. */
  static native String[] operations();

  /** The core's error kinds, as code and name pairs. */
  static native String[] errorKinds();

  /** The version of the native core. */
  static native String version();

  /**
   * Builds a native client.
   *
   * @param settings name and value pairs of the settings set in code
   * @param environment name and value pairs to use instead of the process environment, or null
   * @return the handle, released with {@link #freeClient}
   */
  static native long newClient(String[] settings, String[] environment);

  /** Releases a handle; 0 is ignored. Called exactly once per handle. */
  static native void freeClient(long handle);

  /** Forgets the client's token, cached values, credentials and unreachable memory. */
  static native void clearCaches(long handle);

  /** The resolved configuration as name, value and source triples. */
  static native String[] describeConfig(long handle);

  /** Runs {@code op} and blocks until it ends; the result is read by {@link Decode}. */
  static native Object call(long handle, int op, String argument);

  /** Starts {@code op}; its result completes {@code future} from one of the core's threads. */
  static native void callAsync(
      long handle, int op, String argument, NativeFuture<?> future, long callId);

  /** Cancels the async call {@code callId} if it is still running. */
  static native void cancel(long callId);

  // Test hooks: package-private like the whole class, so not part of the public API. They ship
  // in the library because Maven builds it once, for the tests and for the jar alike; nothing
  // outside this package can reach them.

  /** Live native clients, running async calls and held future references, for leak tests. */
  static native long[] counters();

  /**
   * Panics in native code, at once when {@code future} is null, else in an async call. For the
   * tests of the panic boundary only.
   */
  static native void panicForTest(NativeFuture<?> future, long callId);

  /** Called by the native side: the exception for an error of the core. */
  static Throwable error(int code, int status, String message) {
    return ImdsException.fromNative(code, status, message);
  }

  /** Called by the native side, on the thread that finished the operation. */
  static void audit(
      String operation,
      String path,
      int status,
      int attempts,
      long latencyMicros,
      int outcome,
      boolean cached) {
    AuditLog.log(operation, path, status, attempts, latencyMicros, outcome, cached);
  }
}
