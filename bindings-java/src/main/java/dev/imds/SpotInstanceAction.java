package dev.imds;

import java.time.Instant;
import java.util.Objects;

/**
 * A pending spot interruption ({@code spot/instance-action}). Immutable.
 *
 * @param action {@code terminate}, {@code stop} or {@code hibernate}
 * @param time when the action happens
 */
public record SpotInstanceAction(String action, Instant time) {
  /** Checks for nulls. */
  public SpotInstanceAction {
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(time, "time");
  }
}
