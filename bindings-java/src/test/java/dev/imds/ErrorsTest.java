package dev.imds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;

/** Every error kind, raised for real where the emulator can cause it. */
@ExtendWith(EmulatorExtension.class)
class ErrorsTest {
  private static <T extends ImdsException> T expect(
      Class<T> type, int code, Executable executable) {
    T error = assertThrows(type, executable);
    assertEquals(code, error.code(), error::toString);
    assertEquals(code, error.kind().code());
    assertTrue(error.getMessage() != null && !error.getMessage().isEmpty());
    return error;
  }

  /** A loopback port nothing listens on. */
  private static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Test
  void javaErrorKindsMatchTheCore() {
    String[] pairs = Native.errorKinds();
    Map<Integer, String> core = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      core.put(Integer.parseInt(pairs[i]), pairs[i + 1]);
    }
    Map<Integer, String> java = new LinkedHashMap<>();
    for (ErrorKind kind : ErrorKind.values()) {
      java.put(kind.code(), kind.wireName());
    }
    assertEquals(core, java);
  }

  @Test
  void everyCodeHasItsOwnSubclass() {
    for (ErrorKind kind : ErrorKind.values()) {
      ImdsException error = ImdsException.fromNative(kind.code(), 404, "message");
      assertEquals(kind, error.kind());
      assertEquals(OptionalInt.of(404), error.statusCode());
      assertEquals("message", error.getMessage());
    }
    long distinct =
        Arrays.stream(ErrorKind.values())
            .map(kind -> ImdsException.fromNative(kind.code(), -1, "m").getClass())
            .distinct()
            .count();
    assertEquals(ErrorKind.values().length, distinct);
    assertEquals(ErrorKind.INTERNAL, ImdsException.fromNative(12345, -1, "m").kind());
    assertEquals(OptionalInt.empty(), ImdsException.fromNative(8, -1, "m").statusCode());
  }

  @Test
  void invalidInput(Emulator emulator) {
    try (ImdsClient client = emulator.client().build()) {
      expect(ImdsInvalidInputException.class, 1, () -> client.getMetadata("../etc/passwd"));
      expect(ImdsInvalidInputException.class, 1, () -> client.getMetadata("a?b=c"));
      expect(ImdsInvalidInputException.class, 1, () -> client.listMetadata("http://x/"));
    }
    expect(
        ImdsInvalidInputException.class,
        1,
        () -> ImdsClient.builder().endpoint("ftp://127.0.0.1").environment(Map.of()).build());
    ImdsInvalidInputException fromEnvironment =
        expect(
            ImdsInvalidInputException.class,
            1,
            () ->
                ImdsClient.builder()
                    .environment(Map.of("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "many"))
                    .build());
    assertTrue(
        fromEnvironment.getMessage().contains("AWS_METADATA_SERVICE_NUM_ATTEMPTS"),
        fromEnvironment.getMessage());
  }

  @Test
  void disabled(Emulator emulator) {
    try (ImdsClient client = emulator.client().disabled(true).build()) {
      expect(ImdsDisabledException.class, 2, () -> client.getMetadata("instance-id"));
    }
    try (ImdsClient client =
        ImdsClient.builder()
            .endpoint(emulator.endpoint())
            .environment(Map.of("AWS_EC2_METADATA_DISABLED", "true"))
            .build()) {
      expect(ImdsDisabledException.class, 2, client::region);
    }
    assertEquals(0, emulator.counter("requests"));
  }

  @Test
  void unreachable() throws IOException {
    try (ImdsClient client =
        ImdsClient.builder()
            .endpoint("http://127.0.0.1:" + closedPort())
            .environment(Map.of())
            .build()) {
      expect(ImdsUnreachableException.class, 3, () -> client.getMetadata("instance-id"));
    }
  }

  @Test
  void timeout(Emulator emulator) {
    emulator.faults("{\"never_answer\":true,\"target\":\"metadata\"}");
    try (ImdsClient client =
        emulator.client().timeout(Duration.ofMillis(300)).maxAttempts(1).build()) {
      expect(ImdsTimeoutException.class, 4, () -> client.getMetadata("instance-id"));
    }
  }

  @Test
  void badRequest(Emulator emulator) {
    emulator.faults("{\"error_status\":400,\"error_count\":1,\"target\":\"metadata\"}");
    try (ImdsClient client = emulator.client().build()) {
      ImdsBadRequestException e =
          expect(ImdsBadRequestException.class, 5, () -> client.getMetadata("instance-id"));
      assertEquals(OptionalInt.of(400), e.statusCode());
    }
  }

  @Test
  void unauthorized(Emulator emulator) {
    emulator.faults("{\"error_status\":401,\"error_count\":10,\"target\":\"metadata\"}");
    try (ImdsClient client = emulator.client().build()) {
      ImdsUnauthorizedException e =
          expect(ImdsUnauthorizedException.class, 6, () -> client.getMetadata("instance-id"));
      assertEquals(OptionalInt.of(401), e.statusCode());
    }
  }

  @Test
  void forbidden(Emulator emulator) {
    emulator.admin("PUT", "/mode", "{\"http_endpoint\":\"disabled\"}");
    try (ImdsClient client = emulator.client().build()) {
      ImdsForbiddenException e =
          expect(ImdsForbiddenException.class, 7, () -> client.getMetadata("instance-id"));
      assertEquals(OptionalInt.of(403), e.statusCode());
    }
  }

  @Test
  void notFound(Emulator emulator) {
    try (ImdsClient client = emulator.client().build()) {
      ImdsNotFoundException e =
          expect(ImdsNotFoundException.class, 8, () -> client.getMetadata("no-such-item"));
      assertEquals(OptionalInt.of(404), e.statusCode());
    }
    emulator.admin("PUT", "/config", "{\"iam_role\":null}");
    try (ImdsClient client = emulator.client().build()) {
      expect(ImdsNotFoundException.class, 8, client::credentials);
      expect(ImdsNotFoundException.class, 8, client::iamInfo);
    }
  }

  @Test
  void throttled(Emulator emulator) {
    emulator.faults("{\"error_status\":429,\"error_count\":100,\"target\":\"metadata\"}");
    try (ImdsClient client =
        emulator.client().maxAttempts(2).backoff(Duration.ZERO, Duration.ofMillis(1)).build()) {
      ImdsThrottledException e =
          expect(ImdsThrottledException.class, 9, () -> client.getMetadata("instance-id"));
      assertEquals(OptionalInt.of(429), e.statusCode());
    }
  }

  @Test
  void serverError(Emulator emulator) {
    emulator.faults("{\"error_status\":503,\"error_count\":100,\"target\":\"metadata\"}");
    try (ImdsClient client =
        emulator.client().maxAttempts(2).backoff(Duration.ZERO, Duration.ofMillis(1)).build()) {
      ImdsServerErrorException e =
          expect(ImdsServerErrorException.class, 10, () -> client.getMetadata("instance-id"));
      assertEquals(OptionalInt.of(503), e.statusCode());
    }
  }

  @Test
  void invalidResponse(Emulator emulator) {
    emulator.admin("PUT", "/metadata/spot/instance-action", "this is not JSON");
    try (ImdsClient client = emulator.client().build()) {
      expect(ImdsInvalidResponseException.class, 11, client::spotInstanceAction);
    }
  }

  @Test
  void responseTooLarge(Emulator emulator) {
    try (ImdsClient client = emulator.client().maxResponseSize(4).build()) {
      expect(ImdsResponseTooLargeException.class, 12, () -> client.getMetadata("instance-id"));
    }
  }

  @Test
  void cancelledCallEndsInTheCore(Emulator emulator) throws Exception {
    emulator.faults("{\"never_answer\":true,\"target\":\"metadata\"}");
    try (ImdsClient client =
        emulator.client().timeout(Duration.ofSeconds(30)).maxAttempts(1).build()) {
      CompletableFuture<String> future = client.getMetadataAsync("instance-id");
      Thread.sleep(100);
      assertTrue(future.cancel(true));
      assertTrue(future.isCancelled());
      // The core's call ends long before its 30 s timeout: the cancellation reached it.
      TestSupport.eventually(Duration.ofSeconds(5), () -> Native.counters()[1] == 0);
    }
    // The kind a cancelled core call reports, where Java does not turn it into a
    // CancellationException first.
    assertInstanceOf(
        ImdsCancelledException.class, ImdsException.fromNative(13, -1, "the call was cancelled"));
  }

  @Test
  void signatureInvalid(Emulator emulator) throws IOException {
    String other = MetadataTest.otherCertificate();
    try (ImdsClient client = emulator.client().build()) {
      expect(ImdsSignatureInvalidException.class, 14, () -> client.verifiedIdentityDocument(other));
    }
  }

  @Test
  void credentialsError(Emulator emulator) {
    emulator.admin("PUT", "/credentials", "{\"mode\":\"error\"}");
    try (ImdsClient client = emulator.client().build()) {
      ImdsCredentialsException e = expect(ImdsCredentialsException.class, 15, client::credentials);
      assertTrue(e.getMessage().contains("AssumeRoleUnauthorizedAccess"), e.getMessage());
    }
  }

  @Test
  void panicInANativeMethodIsAnInternalException() {
    ImdsInternalException e =
        expect(ImdsInternalException.class, 99, () -> Native.panicForTest(null, 0));
    assertTrue(e.getMessage().contains("deliberate panic"), e.getMessage());
    // The JVM and the library keep working.
    assertEquals(Native.Op.values().length, Native.operations().length);
  }

  @Test
  void panicInAnAsyncCallFailsItsFuture() {
    NativeFuture<Object> future = new NativeFuture<>(raw -> raw);
    Native.panicForTest(future, future.callId);
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> future.get(10, TimeUnit.SECONDS));
    ImdsInternalException cause = assertInstanceOf(ImdsInternalException.class, e.getCause());
    assertTrue(cause.getMessage().contains("deliberate panic"), cause.getMessage());
  }

  @Test
  void asyncErrorsArriveAsTheSameExceptions(Emulator emulator) {
    try (ImdsClient client = emulator.client().build()) {
      ExecutionException e =
          assertThrows(
              ExecutionException.class,
              () -> client.getMetadataAsync("no-such-item").get(10, TimeUnit.SECONDS));
      assertInstanceOf(ImdsNotFoundException.class, e.getCause());
      ExecutionException bad =
          assertThrows(
              ExecutionException.class,
              () -> client.getMetadataAsync("a b").get(10, TimeUnit.SECONDS));
      assertInstanceOf(ImdsInvalidInputException.class, bad.getCause());
    }
  }
}
