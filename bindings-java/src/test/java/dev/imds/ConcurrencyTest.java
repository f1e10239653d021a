package dev.imds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** One client shared by many threads, and closed while they use it. */
@ExtendWith(EmulatorExtension.class)
class ConcurrencyTest {
  private static final int THREADS = 16;
  private static final int CALLS_PER_THREAD = 100;

  @Test
  void manyThreadsShareOneClientAndOneToken(Emulator emulator) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try (ImdsClient client = emulator.client().build()) {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        final int thread = t;
        results.add(
            pool.submit(
                () -> {
                  start.await();
                  int ok = 0;
                  for (int i = 0; i < CALLS_PER_THREAD; i++) {
                    switch ((thread + i) % 4) {
                      case 0 ->
                          ok += client.getMetadata("instance-type").equals("m5.large") ? 1 : 0;
                      case 1 -> ok += client.region().equals("us-east-1") ? 1 : 0;
                      case 2 -> ok += client.credentials().role().equals("emulator-role") ? 1 : 0;
                      default -> ok += client.listMetadata("placement/").size() == 3 ? 1 : 0;
                    }
                  }
                  return ok;
                }));
      }
      start.countDown();
      int total = 0;
      for (Future<Integer> result : results) {
        total += result.get(120, TimeUnit.SECONDS);
      }
      assertEquals(THREADS * CALLS_PER_THREAD, total);
      assertEquals(1, emulator.counter("token_puts"));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void blockingAndAsyncCallsMix(Emulator emulator) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try (ImdsClient client = emulator.client().build()) {
      List<Future<String>> blocking = new ArrayList<>();
      List<CompletableFuture<String>> async = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        blocking.add(pool.submit(() -> client.getMetadata("instance-id")));
        async.add(client.getMetadataAsync("instance-id"));
      }
      for (Future<String> f : blocking) {
        assertEquals(MetadataTest.INSTANCE_ID, f.get(60, TimeUnit.SECONDS));
      }
      for (CompletableFuture<String> f : async) {
        assertEquals(MetadataTest.INSTANCE_ID, f.get(60, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void closingWhileOtherThreadsCallNeverCrashes(Emulator emulator) throws Exception {
    long clientsBefore = Native.counters()[0];
    for (int round = 0; round < 20; round++) {
      ImdsClient client = emulator.client().build();
      ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
      CountDownLatch running = new CountDownLatch(4);
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        Thread thread =
            new Thread(
                () -> {
                  running.countDown();
                  for (int i = 0; i < 1000; i++) {
                    try {
                      client.getMetadata("instance-id");
                    } catch (IllegalStateException closed) {
                      return; // the expected end: the client was closed under us
                    } catch (Throwable e) {
                      unexpected.add(e);
                      return;
                    }
                  }
                });
        thread.start();
        threads.add(thread);
      }
      running.await();
      client.close();
      for (Thread thread : threads) {
        thread.join(60_000);
      }
      assertTrue(unexpected.isEmpty(), unexpected::toString);
    }
    assertEquals(clientsBefore, Native.counters()[0], "every closed client was released");
  }
}
