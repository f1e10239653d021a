package dev.imds;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;

/**
 * Writes the core's audit events to the {@link System.Logger} named {@value #LOGGER_NAME}, so any
 * backend (java.util.logging, or SLF4J and Log4j through their {@code System.LoggerFinder})
 * receives them.
 *
 * <p>One event per token fetch and metadata access: operation, path, status, attempts, latency,
 * outcome, and whether the value came from the client's cache. Events never carry a token, secret
 * key, session token or user-data: the core's events hold none.
 *
 * <p>Levels: successes and expected absences ({@code not_found}, {@code cancelled}) are {@code
 * DEBUG}, because the JDK's default backend prints {@code INFO} to standard error and a client
 * polling for spot notices would flood it; other failures are {@code WARNING}. Raise the logger to
 * {@code DEBUG} (java.util.logging: {@code FINE}) to see every access.
 */
final class AuditLog {
  /** The name of the audit logger. */
  static final String LOGGER_NAME = "dev.imds.audit";

  private static final Logger LOGGER = System.getLogger(LOGGER_NAME);

  private AuditLog() {}

  static void log(
      String operation,
      String path,
      int status,
      int attempts,
      long latencyMicros,
      int outcome,
      boolean cached) {
    Level level = level(outcome);
    if (!LOGGER.isLoggable(level)) {
      return;
    }
    String message = format(operation, path, status, attempts, latencyMicros, outcome, cached);
    try {
      LOGGER.log(level, message);
    } catch (RuntimeException e) {
      // A broken logging backend must not fail the call that produced the event.
    }
  }

  static Level level(int outcome) {
    if (outcome == 0
        || outcome == ErrorKind.NOT_FOUND.code()
        || outcome == ErrorKind.CANCELLED.code()) {
      return Level.DEBUG;
    }
    return Level.WARNING;
  }

  static String format(
      String operation,
      String path,
      int status,
      int attempts,
      long latencyMicros,
      int outcome,
      boolean cached) {
    return "imds access operation="
        + operation
        + " path="
        + printable(path)
        + " status="
        + (status < 0 ? "none" : Integer.toString(status))
        + " attempts="
        + attempts
        + " latency_us="
        + latencyMicros
        + " outcome="
        + (outcome == 0 ? "success" : "error:" + ErrorKind.fromCode(outcome).wireName())
        + " cached="
        + cached;
  }

  /** The path with control characters escaped, so a refused path cannot forge log lines. */
  private static String printable(String path) {
    StringBuilder out = new StringBuilder(path.length());
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
