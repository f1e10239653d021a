package dev.imds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Audit events reach {@code System.Logger} (here its default backend, java.util.logging) from
 * blocking and async calls, at the documented levels, and never with a secret.
 */
@ExtendWith(EmulatorExtension.class)
class AuditLogTest {
  // JUL holds loggers weakly; this keeps the level and handler for the whole test.
  private static final Logger AUDIT = Logger.getLogger(AuditLog.LOGGER_NAME);

  private final List<LogRecord> records = new CopyOnWriteArrayList<>();
  private final Handler capture =
      new Handler() {
        @Override
        public void publish(LogRecord record) {
          records.add(record);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  @BeforeEach
  void capture() {
    AUDIT.setLevel(Level.ALL);
    AUDIT.addHandler(capture);
  }

  @AfterEach
  void release() {
    AUDIT.removeHandler(capture);
  }

  private List<String> messages() {
    return records.stream().map(LogRecord::getMessage).toList();
  }

  private LogRecord find(String fragment) {
    return records.stream()
        .filter(r -> r.getMessage().contains(fragment))
        .findFirst()
        .orElseThrow(
            () -> new AssertionError("no audit event with " + fragment + " in " + messages()));
  }

  @Test
  void blockingCallsAreAudited(Emulator emulator) {
    try (ImdsClient client = emulator.client().build()) {
      client.getMetadata("instance-type");
    }
    LogRecord token = find("operation=token");
    assertEquals(Level.FINE, token.getLevel());
    LogRecord read = find("operation=get_metadata path=instance-type");
    assertTrue(read.getMessage().contains("status=200"), read.getMessage());
    assertTrue(read.getMessage().contains("outcome=success"), read.getMessage());
    assertTrue(read.getMessage().contains("attempts=1"), read.getMessage());
    assertEquals(Level.FINE, read.getLevel());
  }

  @Test
  void asyncCallsAreAuditedFromTheCoresThreads(Emulator emulator) throws Exception {
    try (ImdsClient client = emulator.client().build()) {
      client.getMetadataAsync("ami-id").get(30, TimeUnit.SECONDS);
    }
    TestSupport.eventually(
        Duration.ofSeconds(5), () -> messages().stream().anyMatch(m -> m.contains("ami-id")));
  }

  @Test
  void failuresAreWarningsAndAbsencesAreNot(Emulator emulator) {
    emulator.faults("{\"error_status\":500,\"error_count\":100,\"target\":\"metadata\"}");
    try (ImdsClient client = emulator.client().maxAttempts(1).build()) {
      assertThrows(ImdsServerErrorException.class, () -> client.getMetadata("instance-type"));
    }
    LogRecord failed = find("outcome=error:server_error");
    assertEquals(Level.WARNING, failed.getLevel());

    emulator.admin("DELETE", "/faults", null);
    try (ImdsClient client = emulator.client().build()) {
      assertThrows(ImdsNotFoundException.class, () -> client.getMetadata("no-such-item"));
    }
    assertEquals(Level.FINE, find("outcome=error:not_found").getLevel());
  }

  @Test
  void noSecretEverReachesTheLog(Emulator emulator) {
    emulator.admin("PUT", "/user-data", "password=hunter2-very-secret");
    emulator.admin("PUT", "/metadata/app/key", "swordfish-in-metadata");
    Credentials credentials;
    byte[] userData;
    byte[] value;
    byte[] valueAsync;
    try (ImdsClient client = emulator.client().build()) {
      credentials = client.credentials();
      userData = client.userData().orElseThrow();
      value = client.getMetadataBytes("app/key");
      valueAsync = client.getMetadataBytesAsync("app/key").join();
      client.identityDocumentBytes();
      client.getMetadata("instance-id");
    }
    assertEquals("password=hunter2-very-secret", new String(userData, StandardCharsets.UTF_8));
    assertEquals("swordfish-in-metadata", new String(value, StandardCharsets.UTF_8));
    assertEquals("swordfish-in-metadata", new String(valueAsync, StandardCharsets.UTF_8));
    assertFalse(records.isEmpty());
    for (String message : messages()) {
      assertFalse(message.contains(credentials.secretAccessKey()), message);
      assertFalse(message.contains(credentials.sessionToken()), message);
      assertFalse(message.contains("hunter2"), message);
      assertFalse(message.contains("swordfish"), message);
      assertFalse(message.toLowerCase().contains("aqaea"), message); // token prefix
    }
  }

  @Test
  void controlCharactersInARefusedPathCannotForgeLogLines(Emulator emulator) {
    try (ImdsClient client = emulator.client().build()) {
      assertThrows(ImdsInvalidInputException.class, () -> client.getMetadata("a\nforged line"));
    }
    for (String message : messages()) {
      assertFalse(message.contains("\n"), message);
    }
  }
}
