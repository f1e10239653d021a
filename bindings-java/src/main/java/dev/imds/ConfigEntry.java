package dev.imds;

import java.util.Objects;

/**
 * One resolved setting of a client and where it came from, as {@code imds config} prints it.
 *
 * @param name the setting, such as {@code endpoint} or {@code token_ttl}
 * @param value the value in force, formatted
 * @param source where it came from: {@code code}, an environment variable, a profile key or {@code
 *     default}
 */
public record ConfigEntry(String name, String value, String source) {
  /** Checks for nulls. */
  public ConfigEntry {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(source, "source");
  }
}
