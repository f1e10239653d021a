package dev.imds;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * Reads the raw results of the native side into the public types.
 *
 * <p>The native side builds only {@code String}, {@code String[]}, {@code byte[]}, {@code Object[]}
 * and {@code null}, so it needs no Java class beyond {@code java.lang} on the core's threads.
 * Records are {@code Object[]} with their fields in declaration order; times are RFC 3339 strings.
 * The field order is written once on each side: here and in {@code ops.rs}.
 */
final class Decode {
  private Decode() {}

  static String string(Object raw) {
    return (String) raw;
  }

  static List<String> strings(Object raw) {
    return raw == null ? List.of() : List.of((String[]) raw);
  }

  static Optional<String> optionalString(Object raw) {
    return Optional.ofNullable((String) raw);
  }

  static Optional<byte[]> bytes(Object raw) {
    return Optional.ofNullable((byte[]) raw);
  }

  static byte[] byteArray(Object raw) {
    return (byte[]) raw;
  }

  static Instant instant(Object raw) {
    return Instant.parse((String) raw);
  }

  static Optional<Instant> optionalInstant(Object raw) {
    return raw == null ? Optional.empty() : Optional.of(instant(raw));
  }

  static IdentityDocument identityDocument(Object raw) {
    Object[] f = (Object[]) raw;
    return new IdentityDocument(
        string(f[0]),
        optionalString(f[1]),
        string(f[2]),
        strings(f[3]),
        strings(f[4]),
        strings(f[5]),
        string(f[6]),
        string(f[7]),
        string(f[8]),
        optionalString(f[9]),
        optionalString(f[10]),
        optionalString(f[11]),
        optionalString(f[12]),
        string(f[13]),
        optionalString(f[14]));
  }

  static Credentials credentials(Object raw) {
    Object[] f = (Object[]) raw;
    return new Credentials(
        string(f[0]),
        string(f[1]),
        string(f[2]),
        string(f[3]),
        instant(f[4]),
        optionalInstant(f[5]));
  }

  static IamInfo iamInfo(Object raw) {
    Object[] f = (Object[]) raw;
    return new IamInfo(string(f[0]), optionalString(f[1]), string(f[2]), string(f[3]));
  }

  static Map<String, String> tags(Object raw) {
    String[] pairs = (String[]) raw;
    Map<String, String> tags = new TreeMap<>();
    for (int i = 0; i + 1 < pairs.length; i += 2) {
      tags.put(pairs[i], pairs[i + 1]);
    }
    return Collections.unmodifiableMap(tags);
  }

  static List<NetworkInterface> networkInterfaces(Object raw) {
    List<NetworkInterface> interfaces = new ArrayList<>();
    for (Object item : (Object[]) raw) {
      Object[] f = (Object[]) item;
      interfaces.add(
          new NetworkInterface(
              string(f[0]),
              f[1] == null ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(string(f[1]))),
              optionalString(f[2]),
              strings(f[3]),
              strings(f[4]),
              strings(f[5]),
              optionalString(f[6]),
              optionalString(f[7]),
              optionalString(f[8]),
              strings(f[9]),
              strings(f[10]),
              optionalString(f[11])));
    }
    return List.copyOf(interfaces);
  }

  static Optional<SpotInstanceAction> spotInstanceAction(Object raw) {
    if (raw == null) {
      return Optional.empty();
    }
    Object[] f = (Object[]) raw;
    return Optional.of(new SpotInstanceAction(string(f[0]), instant(f[1])));
  }

  static Optional<RebalanceRecommendation> rebalanceRecommendation(Object raw) {
    return optionalInstant(raw).map(RebalanceRecommendation::new);
  }

  static List<ScheduledEvent> scheduledEvents(Object raw) {
    List<ScheduledEvent> events = new ArrayList<>();
    for (Object item : (Object[]) raw) {
      Object[] f = (Object[]) item;
      events.add(
          new ScheduledEvent(
              string(f[0]),
              string(f[1]),
              string(f[2]),
              instant(f[3]),
              optionalInstant(f[4]),
              string(f[5])));
    }
    return List.copyOf(events);
  }

  static List<ConfigEntry> configEntries(String[] triples) {
    List<ConfigEntry> entries = new ArrayList<>();
    for (int i = 0; i + 2 < triples.length; i += 3) {
      entries.add(new ConfigEntry(triples[i], triples[i + 1], triples[i + 2]));
    }
    return List.copyOf(entries);
  }
}
