package dev.imds;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.function.BooleanSupplier;

final class TestSupport {
  private TestSupport() {}

  /** Waits until {@code condition} holds, failing after {@code limit}. */
  static void eventually(Duration limit, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("condition still false after " + limit);
      }
      Thread.sleep(10);
    }
  }
}
