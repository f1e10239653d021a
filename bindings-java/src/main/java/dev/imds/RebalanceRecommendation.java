package dev.imds;

import java.time.Instant;
import java.util.Objects;

/**
 * A rebalance recommendation ({@code events/recommendations/rebalance}): the instance is at
 * elevated risk of interruption. Immutable.
 *
 * @param noticeTime when the recommendation was issued
 */
public record RebalanceRecommendation(Instant noticeTime) {
  /** Checks for nulls. */
  public RebalanceRecommendation {
    Objects.requireNonNull(noticeTime, "noticeTime");
  }
}
