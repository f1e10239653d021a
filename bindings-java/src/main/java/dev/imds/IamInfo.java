package dev.imds;

import java.util.Objects;
import java.util.Optional;

/**
 * The instance profile attached to the instance ({@code iam/info}). Immutable.
 *
 * @param code {@code Success} when the profile is healthy
 * @param lastUpdated when IMDS last updated this information, as it wrote it
 * @param instanceProfileArn the instance profile's ARN
 * @param instanceProfileId the instance profile's id
 */
public record IamInfo(
    String code,
    Optional<String> lastUpdated,
    String instanceProfileArn,
    String instanceProfileId) {
  /** Checks for nulls. */
  public IamInfo {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(lastUpdated, "lastUpdated");
    Objects.requireNonNull(instanceProfileArn, "instanceProfileArn");
    Objects.requireNonNull(instanceProfileId, "instanceProfileId");
  }
}
