package dev.imds;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One scheduled maintenance event ({@code events/maintenance/scheduled}). Immutable.
 *
 * @param code {@code instance-reboot}, {@code system-reboot}, {@code system-maintenance}, {@code
 *     instance-retirement} or {@code instance-stop}
 * @param description a description of the event
 * @param eventId the event id, such as {@code instance-event-1234567890abcdef0}
 * @param notBefore the start of the event window
 * @param notAfter the end of the event window, if given
 * @param state {@code active}, {@code completed} or {@code canceled}
 */
public record ScheduledEvent(
    String code,
    String description,
    String eventId,
    Instant notBefore,
    Optional<Instant> notAfter,
    String state) {
  /** Checks for nulls. */
  public ScheduledEvent {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(notBefore, "notBefore");
    Objects.requireNonNull(notAfter, "notAfter");
    Objects.requireNonNull(state, "state");
  }
}
