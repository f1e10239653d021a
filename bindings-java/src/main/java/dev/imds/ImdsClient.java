package dev.imds;

import dev.imds.Native.Op;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A client for the EC2 Instance Metadata Service (IMDSv2).
 *
 * <pre>{@code
 * try (ImdsClient client = ImdsClient.builder().build()) {
 *   String id = client.getMetadata("instance-id");
 *   String region = client.region();
 * }
 * }</pre>
 *
 * <p>Every behaviour (configuration, token cache, retries, parsing, audit events) belongs to the
 * native core shared by every language of this client; this class converts arguments and results.
 * Session tokens are cached and fetched once however many threads wait; values that cannot change
 * while the instance runs are cached after their first answer.
 *
 * <p><b>Threads.</b> One client is meant to be shared: every method is safe to call from any number
 * of threads at once. Blocking methods block the calling thread only. Each has an {@code ...Async}
 * twin returning a {@link CompletableFuture} that the core completes from its own threads;
 * cancelling the future cancels the call.
 *
 * <p><b>Lifetime.</b> {@link #close()} releases the native client exactly once; calls already
 * running finish normally, and any call made afterwards throws {@link IllegalStateException}. A
 * client that becomes unreachable without being closed is released by a {@link Cleaner}.
 *
 * <p><b>Failures.</b> Every failure of a call is an {@link ImdsException} subclass with a stable
 * {@link ImdsException#code()}; null arguments throw {@link NullPointerException}. A bug in the
 * native code throws {@link ImdsInternalException} and never crashes the JVM.
 */
public final class ImdsClient implements AutoCloseable {
  private static final Cleaner CLEANER = Cleaner.create();

  private final State state;
  private final Cleaner.Cleanable cleanable;

  private ImdsClient(long handle) {
    this.state = new State(handle);
    this.cleanable = CLEANER.register(this, state);
  }

  /**
   * A builder with nothing set in code: every setting left unset comes from the environment ({@code
   * AWS_EC2_METADATA_SERVICE_ENDPOINT}, ...), then the profile in the shared AWS config file, then
   * the default.
   *
   * @throws UnsatisfiedLinkError when no native library fits this platform; the message names the
   *     platform
   */
  public static Builder builder() {
    NativeLoader.load();
    return new Builder();
  }

  /** The version of the native core, such as {@code 0.1.0}. */
  public static String nativeVersion() {
    NativeLoader.load();
    return Native.version();
  }

  /**
   * A metadata value as text, such as {@code getMetadata("instance-id")}.
   *
   * @param path relative to {@code /latest/meta-data/}; a leading {@code /} is accepted
   * @throws ImdsInvalidInputException for a malformed path (nothing is sent)
   * @throws ImdsNotFoundException when the path does not exist
   */
  public String getMetadata(String path) {
    return call(Op.GET_METADATA, requireArgument(path, "path"), Decode::string);
  }

  /** The async form of {@link #getMetadata(String)}. */
  public CompletableFuture<String> getMetadataAsync(String path) {
    return callAsync(Op.GET_METADATA, requireArgument(path, "path"), Decode::string);
  }

  /**
   * A metadata value as the bytes IMDS sent, for values that are not UTF-8 text. The path is
   * checked as for {@link #getMetadata(String)}.
   */
  public byte[] getMetadataBytes(String path) {
    return call(Op.GET_METADATA_BYTES, requireArgument(path, "path"), Decode::byteArray);
  }

  /** The async form of {@link #getMetadataBytes(String)}. */
  public CompletableFuture<byte[]> getMetadataBytesAsync(String path) {
    return callAsync(Op.GET_METADATA_BYTES, requireArgument(path, "path"), Decode::byteArray);
  }

  /**
   * The entries of a metadata directory, such as {@code listMetadata("placement/")}; subdirectories
   * keep their trailing {@code /}.
   */
  public List<String> listMetadata(String path) {
    return call(Op.LIST_METADATA, requireArgument(path, "path"), Decode::strings);
  }

  /** The async form of {@link #listMetadata(String)}. */
  public CompletableFuture<List<String>> listMetadataAsync(String path) {
    return callAsync(Op.LIST_METADATA, requireArgument(path, "path"), Decode::strings);
  }

  /** A dynamic data value, relative to {@code /latest/dynamic/}. */
  public String getDynamic(String path) {
    return call(Op.GET_DYNAMIC, requireArgument(path, "path"), Decode::string);
  }

  /** The async form of {@link #getDynamic(String)}. */
  public CompletableFuture<String> getDynamicAsync(String path) {
    return callAsync(Op.GET_DYNAMIC, requireArgument(path, "path"), Decode::string);
  }

  /**
   * The instance's user-data, or empty when it has none. User-data often holds secrets: it is never
   * logged, and the caller should not log it either.
   */
  public Optional<byte[]> userData() {
    return call(Op.USER_DATA, null, Decode::bytes);
  }

  /** The async form of {@link #userData()}. */
  public CompletableFuture<Optional<byte[]>> userDataAsync() {
    return callAsync(Op.USER_DATA, null, Decode::bytes);
  }

  /** The instance identity document, parsed; cached after the first answer. */
  public IdentityDocument identityDocument() {
    return call(Op.IDENTITY_DOCUMENT, null, Decode::identityDocument);
  }

  /** The async form of {@link #identityDocument()}. */
  public CompletableFuture<IdentityDocument> identityDocumentAsync() {
    return callAsync(Op.IDENTITY_DOCUMENT, null, Decode::identityDocument);
  }

  /**
   * The identity document exactly as IMDS sent it, byte for byte, as its signature covers it: for
   * checking the signature with other tools or forwarding the document to a service that does.
   */
  public byte[] identityDocumentBytes() {
    return call(Op.IDENTITY_DOCUMENT_BYTES, null, Decode::byteArray);
  }

  /** The async form of {@link #identityDocumentBytes()}. */
  public CompletableFuture<byte[]> identityDocumentBytesAsync() {
    return callAsync(Op.IDENTITY_DOCUMENT_BYTES, null, Decode::byteArray);
  }

  /**
   * The Region, such as {@code us-east-1}: from {@code placement/region}, else from the identity
   * document; never derived by trimming the zone name, which is wrong in Local Zones.
   */
  public String region() {
    return call(Op.REGION, null, Decode::string);
  }

  /** The async form of {@link #region()}. */
  public CompletableFuture<String> regionAsync() {
    return callAsync(Op.REGION, null, Decode::string);
  }

  /** The Availability Zone, such as {@code us-east-1a}. */
  public String availabilityZone() {
    return call(Op.AVAILABILITY_ZONE, null, Decode::string);
  }

  /** The async form of {@link #availabilityZone()}. */
  public CompletableFuture<String> availabilityZoneAsync() {
    return callAsync(Op.AVAILABILITY_ZONE, null, Decode::string);
  }

  /** The instance id, such as {@code i-0123456789abcdef0}. */
  public String instanceId() {
    return call(Op.INSTANCE_ID, null, Decode::string);
  }

  /** The async form of {@link #instanceId()}. */
  public CompletableFuture<String> instanceIdAsync() {
    return callAsync(Op.INSTANCE_ID, null, Decode::string);
  }

  /**
   * The role credentials of the instance profile, from the client's cache while fresh.
   *
   * <p>They are refreshed five minutes before they expire; during an IMDS outage the last good set
   * is returned while it has not expired.
   *
   * @throws ImdsNotFoundException when no role is attached
   * @throws ImdsCredentialsException when IMDS answers with an error document
   */
  public Credentials credentials() {
    return call(Op.CREDENTIALS, null, Decode::credentials);
  }

  /** The async form of {@link #credentials()}. */
  public CompletableFuture<Credentials> credentialsAsync() {
    return callAsync(Op.CREDENTIALS, null, Decode::credentials);
  }

  /** The credentials of {@code role}, which must be the role attached to the instance. */
  public Credentials credentialsForRole(String role) {
    return call(Op.CREDENTIALS_FOR_ROLE, requireArgument(role, "role"), Decode::credentials);
  }

  /** The async form of {@link #credentialsForRole(String)}. */
  public CompletableFuture<Credentials> credentialsForRoleAsync(String role) {
    return callAsync(Op.CREDENTIALS_FOR_ROLE, requireArgument(role, "role"), Decode::credentials);
  }

  /**
   * The name of the role attached to the instance, the one {@link #credentials()} reads.
   *
   * @throws ImdsNotFoundException when no role is attached
   */
  public String roleName() {
    return call(Op.ROLE_NAME, null, Decode::string);
  }

  /** The async form of {@link #roleName()}. */
  public CompletableFuture<String> roleNameAsync() {
    return callAsync(Op.ROLE_NAME, null, Decode::string);
  }

  /** The instance profile ({@code iam/info}); {@link ImdsNotFoundException} without a role. */
  public IamInfo iamInfo() {
    return call(Op.IAM_INFO, null, Decode::iamInfo);
  }

  /** The async form of {@link #iamInfo()}. */
  public CompletableFuture<IamInfo> iamInfoAsync() {
    return callAsync(Op.IAM_INFO, null, Decode::iamInfo);
  }

  /**
   * The instance tags, sorted by key.
   *
   * @throws ImdsNotFoundException when tags are not enabled in the instance metadata options; the
   *     message says how to enable them
   */
  public Map<String, String> instanceTags() {
    return call(Op.INSTANCE_TAGS, null, Decode::tags);
  }

  /** The async form of {@link #instanceTags()}. */
  public CompletableFuture<Map<String, String>> instanceTagsAsync() {
    return callAsync(Op.INSTANCE_TAGS, null, Decode::tags);
  }

  /** Every network interface, the primary one first. */
  public List<NetworkInterface> networkInterfaces() {
    return call(Op.NETWORK_INTERFACES, null, Decode::networkInterfaces);
  }

  /** The async form of {@link #networkInterfaces()}. */
  public CompletableFuture<List<NetworkInterface>> networkInterfacesAsync() {
    return callAsync(Op.NETWORK_INTERFACES, null, Decode::networkInterfaces);
  }

  /** The pending spot interruption, or empty while there is none. Poll every five seconds. */
  public Optional<SpotInstanceAction> spotInstanceAction() {
    return call(Op.SPOT_INSTANCE_ACTION, null, Decode::spotInstanceAction);
  }

  /** The async form of {@link #spotInstanceAction()}. */
  public CompletableFuture<Optional<SpotInstanceAction>> spotInstanceActionAsync() {
    return callAsync(Op.SPOT_INSTANCE_ACTION, null, Decode::spotInstanceAction);
  }

  /** The rebalance recommendation, or empty while there is none. */
  public Optional<RebalanceRecommendation> rebalanceRecommendation() {
    return call(Op.REBALANCE_RECOMMENDATION, null, Decode::rebalanceRecommendation);
  }

  /** The async form of {@link #rebalanceRecommendation()}. */
  public CompletableFuture<Optional<RebalanceRecommendation>> rebalanceRecommendationAsync() {
    return callAsync(Op.REBALANCE_RECOMMENDATION, null, Decode::rebalanceRecommendation);
  }

  /** Scheduled maintenance events; empty when there are none. */
  public List<ScheduledEvent> scheduledEvents() {
    return call(Op.SCHEDULED_EVENTS, null, Decode::scheduledEvents);
  }

  /** The async form of {@link #scheduledEvents()}. */
  public CompletableFuture<List<ScheduledEvent>> scheduledEventsAsync() {
    return callAsync(Op.SCHEDULED_EVENTS, null, Decode::scheduledEvents);
  }

  /**
   * The Auto Scaling target lifecycle state ({@code InService}, {@code Terminated}, ...), or empty
   * when the instance is not in an Auto Scaling group.
   */
  public Optional<String> autoscalingTargetState() {
    return call(Op.AUTOSCALING_TARGET_STATE, null, Decode::optionalString);
  }

  /** The async form of {@link #autoscalingTargetState()}. */
  public CompletableFuture<Optional<String>> autoscalingTargetStateAsync() {
    return callAsync(Op.AUTOSCALING_TARGET_STATE, null, Decode::optionalString);
  }

  /**
   * Fetches the identity document and its signature, verifies the signature against the Region's
   * AWS public certificate, and returns the document.
   *
   * @param certificatePem the PEM certificate AWS publishes for the Region
   * @throws ImdsSignatureInvalidException when the signature does not match
   */
  public IdentityDocument verifiedIdentityDocument(String certificatePem) {
    return call(
        Op.VERIFIED_IDENTITY_DOCUMENT,
        requireArgument(certificatePem, "certificatePem"),
        Decode::identityDocument);
  }

  /** The async form of {@link #verifiedIdentityDocument(String)}. */
  public CompletableFuture<IdentityDocument> verifiedIdentityDocumentAsync(String certificatePem) {
    return callAsync(
        Op.VERIFIED_IDENTITY_DOCUMENT,
        requireArgument(certificatePem, "certificatePem"),
        Decode::identityDocument);
  }

  /**
   * Like {@link #verifiedIdentityDocument(String)}, with the {@code rsa2048} PKCS#7 signature,
   * which carries the document it signs.
   */
  public IdentityDocument verifiedIdentityDocumentPkcs7(String certificatePem) {
    return call(
        Op.VERIFIED_IDENTITY_DOCUMENT_PKCS7,
        requireArgument(certificatePem, "certificatePem"),
        Decode::identityDocument);
  }

  /** The async form of {@link #verifiedIdentityDocumentPkcs7(String)}. */
  public CompletableFuture<IdentityDocument> verifiedIdentityDocumentPkcs7Async(
      String certificatePem) {
    return callAsync(
        Op.VERIFIED_IDENTITY_DOCUMENT_PKCS7,
        requireArgument(certificatePem, "certificatePem"),
        Decode::identityDocument);
  }

  /**
   * Every resolved setting with its value and source, in a stable order, as {@code imds config}
   * prints them. Holds no secret.
   */
  public List<ConfigEntry> config() {
    long handle = state.acquire();
    try {
      return Decode.configEntries(Native.describeConfig(handle));
    } finally {
      state.release();
      Reference.reachabilityFence(this);
    }
  }

  /**
   * Forgets the session token, the cached values, the credentials and the memory of an unreachable
   * endpoint, so that the next call starts from scratch. Sends nothing and does not block, so it
   * has no async form.
   *
   * @throws IllegalStateException when the client is closed
   */
  public void clearCaches() {
    long handle = state.acquire();
    try {
      Native.clearCaches(handle);
    } finally {
      state.release();
      Reference.reachabilityFence(this);
    }
  }

  /**
   * Releases the native client. Idempotent and thread-safe: the first call releases it (once calls
   * already running have finished), later calls do nothing.
   */
  @Override
  public void close() {
    cleanable.clean();
  }

  private static String requireArgument(String value, String name) {
    return Objects.requireNonNull(value, () -> name + " must not be null");
  }

  // Blocking calls ignore Thread.interrupt(): honouring it would need a Cancel per blocking call
  // and a watcher that notices the interrupt, a cost every call would pay. The async variants can
  // be cancelled, and Builder.deadline bounds every call.
  private <T> T call(Op op, String argument, Function<Object, T> decoder) {
    long handle = state.acquire();
    Object raw;
    try {
      raw = Native.call(handle, op.ordinal(), argument);
    } finally {
      state.release();
      // Without the fence the JIT may treat this client as unreachable during the native
      // call, and the Cleaner could run; the State's count keeps the handle alive either way.
      Reference.reachabilityFence(this);
    }
    return decoder.apply(raw);
  }

  private <T> CompletableFuture<T> callAsync(Op op, String argument, Function<Object, T> decoder) {
    NativeFuture<T> future = new NativeFuture<>(decoder);
    long handle = state.acquire();
    try {
      Native.callAsync(handle, op.ordinal(), argument, future, future.callId);
    } finally {
      // The async call holds its own reference to the native client from here on.
      state.release();
      Reference.reachabilityFence(this);
    }
    return future;
  }

  /**
   * The native handle and a count of its users: the client itself until closed, plus each native
   * call in progress. The handle is freed when the count drops to zero, so a close racing with
   * calls never frees it under them, and it is freed exactly once (the swap to 0).
   *
   * <p>Also the Cleaner's action, so it must not refer to the client.
   */
  private static final class State implements Runnable {
    private final AtomicLong handle;
    private final AtomicInteger users = new AtomicInteger(1);
    private volatile boolean closed;

    State(long handle) {
      this.handle = new AtomicLong(handle);
    }

    long acquire() {
      while (true) {
        int count = users.get();
        if (closed || count == 0) {
          throw new IllegalStateException("the ImdsClient is closed");
        }
        if (users.compareAndSet(count, count + 1)) {
          return handle.get();
        }
      }
    }

    void release() {
      if (users.decrementAndGet() == 0) {
        long released = handle.getAndSet(0);
        if (released != 0) {
          Native.freeClient(released);
        }
      }
    }

    /** Runs once: from {@link ImdsClient#close()} or from the Cleaner. */
    @Override
    public void run() {
      closed = true;
      release();
    }
  }

  /**
   * Configures an {@link ImdsClient}. Every setter states its default; a setting left unset is
   * resolved by the core, highest first, from: the environment, the profile in the shared AWS
   * config file, the default. An endpoint from any source beats an endpoint mode from any source.
   *
   * <p>Setters check what Java can check on the spot and throw {@link NullPointerException} or
   * {@link IllegalArgumentException}; {@link #build()} throws {@link ImdsInvalidInputException} for
   * what only the core can judge, naming the setting and where it came from. Not thread-safe;
   * reusable.
   */
  public static final class Builder {
    private final Map<String, String> settings = new LinkedHashMap<>();
    private Map<String, String> environment;

    private Builder() {}

    /**
     * The IMDS base URL, such as {@code http://127.0.0.1:1338}. Default: from the endpoint mode,
     * {@code http://169.254.169.254}. Beats an endpoint mode from any source.
     */
    public Builder endpoint(String endpoint) {
      return set("endpoint", Objects.requireNonNull(endpoint, "endpoint"));
    }

    /** IPv4 or IPv6. Default: IPv4. */
    public Builder endpointMode(EndpointMode mode) {
      return set("endpoint_mode", Objects.requireNonNull(mode, "mode").toString());
    }

    /**
     * The endpoint mode by its shared-settings spelling ({@code IPv4}, {@code IPv6}), for a mode
     * read from the application's own configuration. The core judges the spelling, as it does for
     * the environment and the profile: {@link #build()} throws {@link ImdsInvalidInputException}
     * for any other.
     */
    public Builder endpointMode(String mode) {
      return set("endpoint_mode", Objects.requireNonNull(mode, "mode"));
    }

    /**
     * The session token lifetime to ask for, in whole seconds from 1 to 21600 (6 hours). Default:
     * 300 s; short-lived tokens limit the damage of a leak.
     */
    public Builder tokenTtl(Duration ttl) {
      Objects.requireNonNull(ttl, "ttl");
      if (ttl.getNano() != 0
          || ttl.getSeconds() < 1
          || ttl.getSeconds() > Native.MAX_TOKEN_TTL_SECONDS) {
        throw new IllegalArgumentException(
            "tokenTtl must be whole seconds from 1 to "
                + Native.MAX_TOKEN_TTL_SECONDS
                + ", not "
                + ttl);
      }
      return duration("token_ttl", ttl);
    }

    /** Time allowed for one attempt, from connecting to the last body byte. Default: 1 s. */
    public Builder timeout(Duration timeout) {
      return positive("timeout", "timeout", timeout);
    }

    /** Time allowed to open a connection; capped at the attempt timeout. Default: 1 s. */
    public Builder connectTimeout(Duration timeout) {
      return positive("connectTimeout", "connect_timeout", timeout);
    }

    /** Attempts per request, the first included, from 1 to 20. Default: 3. */
    public Builder maxAttempts(int attempts) {
      if (attempts < 1 || attempts > Native.MAX_ATTEMPTS) {
        throw new IllegalArgumentException(
            "maxAttempts must be from 1 to " + Native.MAX_ATTEMPTS + ", not " + attempts);
      }
      return set("max_attempts", Integer.toString(attempts));
    }

    /**
     * An overall deadline for one call, retries and token fetch included. Default: none beyond what
     * the attempts and timeouts add up to.
     */
    public Builder deadline(Duration deadline) {
      return positive("deadline", "deadline", deadline);
    }

    /**
     * The first backoff step before a retry and its ceiling; each wait is uniformly random between
     * zero and the step, which doubles each retry. Default: 100 ms up to 1 s.
     */
    public Builder backoff(Duration base, Duration max) {
      nonNegative("backoff base", base);
      nonNegative("backoff max", max);
      if (base.compareTo(max) > 0) {
        throw new IllegalArgumentException(
            "the backoff base " + base + " is larger than its ceiling " + max);
      }
      duration("backoff_base", base);
      return duration("backoff_max", max);
    }

    /**
     * How long a refused or timed-out endpoint is remembered, so later calls fail at once instead
     * of waiting again. Zero turns the memory off. Default: 10 s.
     */
    public Builder unreachableMemory(Duration duration) {
      nonNegative("unreachableMemory", duration);
      return duration("unreachable_memory", duration);
    }

    /** The largest body accepted, in bytes. Default: 1 MiB. */
    public Builder maxResponseSize(long bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxResponseSize must be at least 1, not " + bytes);
      }
      return set("max_response_size", Long.toString(bytes));
    }

    /**
     * Turns IMDS off: every call fails with {@link ImdsDisabledException} and sends nothing.
     * Default: {@code AWS_EC2_METADATA_DISABLED}, else false.
     */
    public Builder disabled(boolean disabled) {
      return set("disabled", Boolean.toString(disabled));
    }

    /**
     * Allows falling back to tokenless IMDSv1 requests when no token can be had. Default: false.
     * Ignored when IMDSv1 is disabled from any source.
     */
    public Builder v1Fallback(boolean allow) {
      return set("v1_fallback", Boolean.toString(allow));
    }

    /** Forbids the IMDSv1 fallback whatever else is configured. Default: false. */
    public Builder v1Disabled(boolean disabled) {
      return set("v1_disabled", Boolean.toString(disabled));
    }

    /**
     * Caches values that cannot change while the instance runs (instance id, AMI, type, region,
     * zone, identity document) after their first answer. Default: true.
     */
    public Builder cacheImmutable(boolean cache) {
      return set("cache_immutable", Boolean.toString(cache));
    }

    /**
     * The profile to read from the shared config file. Default: {@code AWS_PROFILE}, else {@code
     * default}.
     */
    public Builder profile(String profile) {
      return set("profile", Objects.requireNonNull(profile, "profile"));
    }

    /** The shared config file. Default: {@code AWS_CONFIG_FILE}, else {@code ~/.aws/config}. */
    public Builder configFile(Path file) {
      return set("config_file", Objects.requireNonNull(file, "file").toString());
    }

    /**
     * Reads the environment variables from {@code variables} instead of the process environment, so
     * resolution is deterministic (for tests, or to embed the client). Default: the process
     * environment.
     */
    public Builder environment(Map<String, String> variables) {
      Objects.requireNonNull(variables, "variables");
      Map<String, String> copy = new LinkedHashMap<>();
      variables.forEach(
          (name, value) ->
              copy.put(
                  Objects.requireNonNull(name, "variable name"),
                  Objects.requireNonNull(value, () -> "value of " + name)));
      this.environment = copy;
      return this;
    }

    /**
     * Resolves the configuration and builds the client.
     *
     * @throws ImdsInvalidInputException when a setting from code, the environment or the profile is
     *     invalid; the message names it and its source
     */
    public ImdsClient build() {
      return new ImdsClient(
          Native.newClient(pairs(settings), environment == null ? null : pairs(environment)));
    }

    private static String[] pairs(Map<String, String> map) {
      List<String> pairs = new ArrayList<>(map.size() * 2);
      map.forEach(
          (name, value) -> {
            pairs.add(name);
            pairs.add(value);
          });
      return pairs.toArray(new String[0]);
    }

    private Builder set(String name, String value) {
      settings.put(name, value);
      return this;
    }

    private Builder duration(String name, Duration value) {
      long nanos;
      try {
        nanos = value.toNanos();
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException(name + " " + value + " is too long", e);
      }
      return set(name, Long.toString(nanos));
    }

    private Builder positive(String javaName, String name, Duration value) {
      Objects.requireNonNull(value, javaName);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(javaName + " must be more than zero, not " + value);
      }
      return duration(name, value);
    }

    private static void nonNegative(String name, Duration value) {
      Objects.requireNonNull(value, name);
      if (value.isNegative()) {
        throw new IllegalArgumentException(name + " must not be negative, not " + value);
      }
    }
  }
}
