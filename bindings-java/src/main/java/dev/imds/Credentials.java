package dev.imds;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Temporary role credentials from IMDS.
 *
 * <p>{@link #toString()} never shows the secret access key or the session token; read them
 * deliberately through their accessors, only to hand them to the code that signs requests.
 * Immutable. The secrets are Java strings, so unlike the native copy they are not wiped from memory
 * when dropped.
 *
 * @param role the role the credentials belong to
 * @param accessKeyId the access key id (not secret on its own)
 * @param secretAccessKey the secret access key
 * @param sessionToken the session token
 * @param expiration when the credentials stop working, as IMDS said
 * @param lastUpdated when IMDS issued them, if it said
 */
public record Credentials(
    String role,
    String accessKeyId,
    String secretAccessKey,
    String sessionToken,
    Instant expiration,
    Optional<Instant> lastUpdated) {
  private static final String REDACTED = "** redacted **";

  /** Checks for nulls. */
  public Credentials {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(accessKeyId, "accessKeyId");
    Objects.requireNonNull(secretAccessKey, "secretAccessKey");
    Objects.requireNonNull(sessionToken, "sessionToken");
    Objects.requireNonNull(expiration, "expiration");
    Objects.requireNonNull(lastUpdated, "lastUpdated");
  }

  /** The fields with the secret access key and session token redacted. */
  @Override
  public String toString() {
    return "Credentials[role="
        + role
        + ", accessKeyId="
        + accessKeyId
        + ", secretAccessKey="
        + REDACTED
        + ", sessionToken="
        + REDACTED
        + ", expiration="
        + expiration
        + ", lastUpdated="
        + lastUpdated.map(Instant::toString).orElse("none")
        + "]";
  }
}
