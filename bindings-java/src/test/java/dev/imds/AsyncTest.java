package dev.imds;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The {@code CompletableFuture} variants: results, threads, cancellation, references. */
@ExtendWith(EmulatorExtension.class)
class AsyncTest {
  private static <T> T await(CompletableFuture<T> future) throws Exception {
    return future.get(30, TimeUnit.SECONDS);
  }

  private static <T> void same(Supplier<T> blocking, Supplier<CompletableFuture<T>> async)
      throws Exception {
    assertEquals(blocking.get(), await(async.get()));
  }

  @Test
  void everyAsyncMethodAgreesWithItsBlockingTwin(Emulator emulator) throws Exception {
    emulator.admin("PUT", "/tags", "{\"enabled\":true}");
    emulator.admin("POST", "/events/spot", "{\"action\":\"terminate\",\"in_seconds\":0}");
    emulator.admin("POST", "/events/rebalance", "{\"in_seconds\":0}");
    emulator.admin(
        "POST", "/events/maintenance", "{\"code\":\"instance-stop\",\"description\":\"d\"}");
    emulator.admin("PUT", "/autoscaling", "{\"state\":\"InService\"}");
    String certificate = emulator.admin("GET", "/certificate", null);
    try (ImdsClient c = emulator.client().build()) {
      same(() -> c.getMetadata("instance-id"), () -> c.getMetadataAsync("instance-id"));
      assertArrayEquals(
          c.getMetadataBytes("instance-id"), await(c.getMetadataBytesAsync("instance-id")));
      same(() -> c.listMetadata("placement/"), () -> c.listMetadataAsync("placement/"));
      same(
          () -> c.getDynamic("instance-identity/document"),
          () -> c.getDynamicAsync("instance-identity/document"));
      assertArrayEquals(c.userData().orElseThrow(), await(c.userDataAsync()).orElseThrow());
      same(c::identityDocument, c::identityDocumentAsync);
      assertArrayEquals(c.identityDocumentBytes(), await(c.identityDocumentBytesAsync()));
      same(c::region, c::regionAsync);
      same(c::availabilityZone, c::availabilityZoneAsync);
      same(c::instanceId, c::instanceIdAsync);
      same(c::credentials, c::credentialsAsync);
      same(
          () -> c.credentialsForRole("emulator-role"),
          () -> c.credentialsForRoleAsync("emulator-role"));
      same(c::roleName, c::roleNameAsync);
      same(c::iamInfo, c::iamInfoAsync);
      same(c::instanceTags, c::instanceTagsAsync);
      same(c::networkInterfaces, c::networkInterfacesAsync);
      same(c::spotInstanceAction, c::spotInstanceActionAsync);
      same(c::rebalanceRecommendation, c::rebalanceRecommendationAsync);
      same(c::scheduledEvents, c::scheduledEventsAsync);
      same(c::autoscalingTargetState, c::autoscalingTargetStateAsync);
      same(
          () -> c.verifiedIdentityDocument(certificate),
          () -> c.verifiedIdentityDocumentAsync(certificate));
      same(
          () -> c.verifiedIdentityDocumentPkcs7(certificate),
          () -> c.verifiedIdentityDocumentPkcs7Async(certificate));
      assertTrue(await(c.spotInstanceActionAsync()).isPresent());
    }
  }

  @Test
  void futuresAreCompletedOnTheCoresDaemonThreads(Emulator emulator) throws Exception {
    // The latency makes the stage below registered before the future completes, so it runs
    // on the completing thread rather than this one.
    emulator.faults("{\"latency_ms\":500,\"target\":\"metadata\"}");
    try (ImdsClient client = emulator.client().timeout(Duration.ofSeconds(5)).build()) {
      CompletableFuture<Thread> completedOn =
          client.getMetadataAsync("instance-id").thenApply(id -> Thread.currentThread());
      Thread thread = await(completedOn);
      assertTrue(thread.getName().startsWith("imds-worker"), thread.getName());
      assertTrue(thread.isDaemon(), "the core's threads must not keep the JVM alive");
      assertFalse(thread == Thread.currentThread());
    }
  }

  @Test
  void aContinuationMayCallTheBlockingApi(Emulator emulator) throws Exception {
    emulator.faults("{\"latency_ms\":500,\"target\":\"metadata\"}");
    try (ImdsClient client = emulator.client().timeout(Duration.ofSeconds(5)).build()) {
      CompletableFuture<String> chained =
          client
              .getMetadataAsync("instance-id")
              .thenApply(id -> id + " " + client.getMetadata("instance-type"));
      assertEquals(MetadataTest.INSTANCE_ID + " m5.large", await(chained));
    }
  }

  @Test
  void cancelStopsTheCoreCall(Emulator emulator) throws Exception {
    emulator.faults("{\"never_answer\":true,\"target\":\"metadata\"}");
    try (ImdsClient client =
        emulator.client().timeout(Duration.ofSeconds(60)).maxAttempts(1).build()) {
      List<CompletableFuture<String>> futures = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        futures.add(client.getMetadataAsync("instance-id"));
      }
      TestSupport.eventually(Duration.ofSeconds(5), () -> Native.counters()[1] >= 20);
      for (CompletableFuture<String> future : futures) {
        assertTrue(future.cancel(false));
        assertThrows(CancellationException.class, future::join);
      }
      TestSupport.eventually(Duration.ofSeconds(5), () -> Native.counters()[1] == 0);
      TestSupport.eventually(Duration.ofSeconds(5), () -> Native.counters()[2] == 0);
    }
  }

  @Test
  void cancellingACompletedFutureDoesNothing(Emulator emulator) throws Exception {
    try (ImdsClient client = emulator.client().build()) {
      CompletableFuture<String> future = client.getMetadataAsync("instance-id");
      assertEquals(MetadataTest.INSTANCE_ID, await(future));
      assertFalse(future.cancel(true));
      assertEquals(MetadataTest.INSTANCE_ID, future.join());
    }
  }

  @Test
  void thousandsOfConcurrentFuturesShareOneToken(Emulator emulator) throws Exception {
    try (ImdsClient client = emulator.client().build()) {
      List<CompletableFuture<String>> futures = new ArrayList<>();
      for (int i = 0; i < 2000; i++) {
        futures.add(
            i % 2 == 0 ? client.getMetadataAsync("instance-type") : client.getMetadataAsync("mac"));
      }
      CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0]))
          .get(60, TimeUnit.SECONDS);
      assertEquals(
          List.of("m5.large", "0e:49:61:0f:c3:11"),
          futures.subList(0, 2).stream().map(CompletableFuture::join).toList());
      assertEquals(1, emulator.counter("token_puts"));
    }
    // Every global reference to a Java future was deleted once its call completed.
    TestSupport.eventually(Duration.ofSeconds(5), () -> Native.counters()[2] == 0);
  }

  @Test
  void asyncCallsOutliveTheClientThatStartedThem(Emulator emulator) throws Exception {
    emulator.faults("{\"latency_ms\":200,\"target\":\"metadata\"}");
    CompletableFuture<String> future;
    try (ImdsClient client = emulator.client().build()) {
      future = client.getMetadataAsync("instance-id");
    }
    assertEquals(MetadataTest.INSTANCE_ID, await(future));
  }

  @Test
  void futureValuesAreDecodedRecords(Emulator emulator) throws Exception {
    try (ImdsClient client = emulator.client().build()) {
      Function<IdentityDocument, String> id = IdentityDocument::instanceId;
      assertEquals(MetadataTest.INSTANCE_ID, await(client.identityDocumentAsync().thenApply(id)));
    }
  }
}
