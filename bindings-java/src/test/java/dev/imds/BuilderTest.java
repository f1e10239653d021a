package dev.imds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Every setter reaches the core; bad arguments fail as Java code would. */
@ExtendWith(EmulatorExtension.class)
class BuilderTest {
  private static Map<String, ConfigEntry> config(ImdsClient client) {
    return client.config().stream().collect(Collectors.toMap(ConfigEntry::name, e -> e));
  }

  @Test
  void everySetterReachesTheCore(Emulator emulator) {
    try (ImdsClient client =
        emulator
            .client()
            .tokenTtl(Duration.ofSeconds(60))
            .timeout(Duration.ofMillis(1500))
            .connectTimeout(Duration.ofMillis(700))
            .maxAttempts(5)
            .deadline(Duration.ofSeconds(10))
            .backoff(Duration.ofMillis(10), Duration.ofMillis(100))
            .unreachableMemory(Duration.ZERO)
            .maxResponseSize(65536)
            .disabled(false)
            .v1Fallback(true)
            .v1Disabled(true)
            .cacheImmutable(false)
            .endpointMode(EndpointMode.IPV6)
            .profile("nobody")
            .build()) {
      Map<String, ConfigEntry> config = config(client);
      assertEquals("60s", config.get("token_ttl").value());
      assertEquals("1.5s", config.get("timeout").value());
      assertEquals("0.7s", config.get("connect_timeout").value());
      assertEquals("5", config.get("max_attempts").value());
      assertEquals("true", config.get("v1_disabled").value());
      assertEquals("true", config.get("v1_fallback").value());
      assertEquals("IPv6", config.get("endpoint_mode").value());
      // An endpoint from any source beats the mode.
      assertEquals(emulator.endpoint(), config.get("endpoint").value());
      for (String name : List.of("token_ttl", "timeout", "max_attempts", "endpoint_mode")) {
        assertEquals("code", config.get(name).source(), name);
      }
      assertEquals(MetadataTest.INSTANCE_ID, client.getMetadata("instance-id"));
    }
  }

  @Test
  void unsetSettingsComeFromTheEnvironmentThenTheProfile(@TempDir Path dir, Emulator emulator)
      throws IOException {
    Path file = dir.resolve("config");
    Files.writeString(
        file,
        "[profile edge]\n"
            + "ec2_metadata_service_endpoint = "
            + emulator.endpoint()
            + "\n"
            + "metadata_service_num_attempts = 4\n");
    try (ImdsClient client =
        ImdsClient.builder()
            .environment(Map.of("AWS_METADATA_SERVICE_TIMEOUT", "2"))
            .configFile(file)
            .profile("edge")
            .build()) {
      Map<String, ConfigEntry> config = config(client);
      assertEquals(emulator.endpoint(), config.get("endpoint").value());
      assertTrue(config.get("endpoint").source().contains("edge"), config.get("endpoint").source());
      assertEquals("4", config.get("max_attempts").value());
      assertEquals("2s", config.get("timeout").value());
      assertTrue(
          config.get("timeout").source().contains("AWS_METADATA_SERVICE_TIMEOUT"),
          config.get("timeout").source());
      assertEquals("default", config.get("token_ttl").source());
      assertEquals(MetadataTest.INSTANCE_ID, client.instanceId());
    }
  }

  @Test
  void nullArgumentsThrowNullPointerException() {
    ImdsClient.Builder builder = ImdsClient.builder();
    assertThrows(NullPointerException.class, () -> builder.endpoint(null));
    assertThrows(NullPointerException.class, () -> builder.endpointMode((EndpointMode) null));
    assertThrows(NullPointerException.class, () -> builder.endpointMode((String) null));
    assertThrows(NullPointerException.class, () -> builder.tokenTtl(null));
    assertThrows(NullPointerException.class, () -> builder.timeout(null));
    assertThrows(NullPointerException.class, () -> builder.connectTimeout(null));
    assertThrows(NullPointerException.class, () -> builder.deadline(null));
    assertThrows(NullPointerException.class, () -> builder.backoff(null, Duration.ZERO));
    assertThrows(NullPointerException.class, () -> builder.unreachableMemory(null));
    assertThrows(NullPointerException.class, () -> builder.profile(null));
    assertThrows(NullPointerException.class, () -> builder.configFile(null));
    assertThrows(NullPointerException.class, () -> builder.environment(null));
    assertThrows(
        NullPointerException.class,
        () -> builder.environment(java.util.Collections.singletonMap("A", null)));
  }

  @Test
  void badArgumentsThrowIllegalArgumentException() {
    ImdsClient.Builder builder = ImdsClient.builder();
    assertThrows(IllegalArgumentException.class, () -> builder.tokenTtl(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> builder.tokenTtl(Duration.ofSeconds(21601)));
    assertThrows(IllegalArgumentException.class, () -> builder.tokenTtl(Duration.ofMillis(1500)));
    assertThrows(IllegalArgumentException.class, () -> builder.tokenTtl(Duration.ofSeconds(-5)));
    builder.tokenTtl(Duration.ofSeconds(1)).tokenTtl(Duration.ofSeconds(21600));
    assertThrows(IllegalArgumentException.class, () -> builder.timeout(Duration.ZERO));
    assertThrows(
        IllegalArgumentException.class, () -> builder.connectTimeout(Duration.ofMillis(-1)));
    assertThrows(IllegalArgumentException.class, () -> builder.deadline(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> builder.maxAttempts(0));
    assertThrows(IllegalArgumentException.class, () -> builder.maxAttempts(21));
    assertThrows(IllegalArgumentException.class, () -> builder.maxResponseSize(0));
    assertThrows(
        IllegalArgumentException.class,
        () -> builder.backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
    assertThrows(
        IllegalArgumentException.class, () -> builder.unreachableMemory(Duration.ofSeconds(-1)));
    assertThrows(
        IllegalArgumentException.class, () -> builder.timeout(Duration.ofSeconds(Long.MAX_VALUE)));
  }

  @Test
  void aSpelledEndpointModeIsJudgedByTheCore(Emulator emulator) {
    try (ImdsClient client = emulator.client().endpointMode("IPv6").build()) {
      ConfigEntry mode = config(client).get("endpoint_mode");
      assertEquals("IPv6", mode.value());
      assertEquals("code", mode.source());
    }
    ImdsInvalidInputException e =
        assertThrows(
            ImdsInvalidInputException.class, () -> emulator.client().endpointMode("IPv5").build());
    assertTrue(e.getMessage().contains("IPv5"), e.getMessage());
  }

  @Test
  void theBuilderIsReusable(Emulator emulator) {
    ImdsClient.Builder builder = emulator.client();
    try (ImdsClient first = builder.build();
        ImdsClient second = builder.maxAttempts(1).build()) {
      assertEquals(first.instanceId(), second.instanceId());
      assertEquals("3", config(first).get("max_attempts").value());
      assertEquals("1", config(second).get("max_attempts").value());
    }
  }
}
