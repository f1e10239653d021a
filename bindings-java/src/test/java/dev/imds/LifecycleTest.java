package dev.imds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Close, use after close, the Cleaner, and leak checks of create/close loops. */
@ExtendWith(EmulatorExtension.class)
class LifecycleTest {
  private static long liveClients() {
    return Native.counters()[0];
  }

  /** The resident set size of this process, in KiB, from /proc (Linux only). */
  private static long residentKib() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }

  private static long openFiles() throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    }
  }

  @Test
  void closeIsIdempotentAndUseAfterCloseThrows(Emulator emulator) {
    long before = liveClients();
    ImdsClient client = emulator.client().build();
    assertEquals(before + 1, liveClients());
    assertEquals(MetadataTest.INSTANCE_ID, client.getMetadata("instance-id"));

    client.close();
    client.close();
    assertEquals(before, liveClients());

    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> client.getMetadata("instance-id"));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> client.getMetadataAsync("instance-id"));
    assertThrows(IllegalStateException.class, client::credentials);
    assertThrows(IllegalStateException.class, client::config);
  }

  @Test
  void nullArgumentsThrowNullPointerException(Emulator emulator) {
    try (ImdsClient client = emulator.client().build()) {
      NullPointerException e =
          assertThrows(NullPointerException.class, () -> client.getMetadata(null));
      assertTrue(e.getMessage().contains("path"), e.getMessage());
      assertThrows(NullPointerException.class, () -> client.listMetadataAsync(null));
      assertThrows(NullPointerException.class, () -> client.verifiedIdentityDocument(null));
      assertThrows(NullPointerException.class, () -> client.credentialsForRole(null));
    }
  }

  @Test
  void theCleanerReleasesAnUnreachableClient(Emulator emulator) throws Exception {
    long before = liveClients();
    WeakReference<ImdsClient> weak = abandon(emulator);
    assertEquals(before + 1, liveClients());
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while ((weak.get() != null || liveClients() != before) && System.nanoTime() < deadline) {
      System.gc();
      Thread.sleep(20);
    }
    assertEquals(before, liveClients(), "the Cleaner did not release the abandoned client");
  }

  private static WeakReference<ImdsClient> abandon(Emulator emulator) {
    ImdsClient client = emulator.client().build();
    client.getMetadata("instance-id");
    return new WeakReference<>(client);
  }

  @Test
  void createAndCloseLeaksNoNativeMemoryOrSockets(Emulator emulator) throws Exception {
    long before = liveClients();
    // Warm up: the runtime, the JIT and the allocators reach their working size first.
    cycle(emulator, 300);
    System.gc();
    long rssBefore = residentKib();
    long filesBefore = openFiles();

    cycle(emulator, 3000);
    System.gc();
    long rssGrowth = residentKib() - rssBefore;
    long filesGrowth = openFiles() - filesBefore;

    assertEquals(before, liveClients(), "every native client was released");
    // A leaked client (its connection pool, caches and token) costs tens of KiB, so 3000 of
    // them would add far more than this generous bound, which absorbs allocator and JVM noise.
    assertTrue(rssGrowth < 24 * 1024, "resident memory grew by " + rssGrowth + " KiB");
    assertTrue(filesGrowth < 20, "open files grew by " + filesGrowth);
  }

  @Test
  void aProgramExitsWhenItsMainReturns(Emulator emulator) throws Exception {
    // The demo makes blocking and async calls, so the core's threads have called into Java;
    // attached as daemons, they must not keep the JVM alive after main returns.
    Path output = Files.createTempFile("imds-demo-", ".txt");
    String java = ProcessHandle.current().info().command().orElse("java");
    ProcessBuilder builder =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                "dev.imds.demo.Demo",
                "--max-polls",
                "1",
                "--poll-seconds",
                "0")
            .redirectErrorStream(true)
            .redirectOutput(output.toFile());
    builder.environment().put("AWS_EC2_METADATA_SERVICE_ENDPOINT", emulator.endpoint());
    builder.environment().remove("IMDS_EMULATOR_CERT");
    Process process = builder.start();
    boolean exited = process.waitFor(60, TimeUnit.SECONDS);
    if (!exited) {
      process.destroyForcibly();
    }
    String text = Files.readString(output);
    Files.delete(output);
    assertTrue(exited, "the JVM did not exit after main returned:\n" + text);
    assertEquals(0, process.exitValue(), text);
    assertTrue(text.contains("instance-id: i-"), text);
    assertTrue(text.contains("spot: no notice after 1 polls"), text);
  }

  private static void cycle(Emulator emulator, int times) {
    for (int i = 0; i < times; i++) {
      try (ImdsClient client = emulator.client().build()) {
        // A request opens a pooled connection, which closing the client must close too.
        client.getMetadata("instance-id");
      }
    }
  }
}
