package dev.imds;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The instance identity document ({@code dynamic/instance-identity/document}).
 *
 * <p>Fields IMDS reports as {@code null} are empty; absent lists are empty lists. Immutable.
 *
 * @param accountId the AWS account that owns the instance
 * @param architecture {@code x86_64}, {@code arm64}, ...
 * @param availabilityZone the Availability Zone, such as {@code us-east-1a}
 * @param billingProducts billing product codes
 * @param devpayProductCodes DevPay product codes
 * @param marketplaceProductCodes Marketplace product codes
 * @param imageId the AMI the instance was launched from
 * @param instanceId the instance id
 * @param instanceType the instance type, such as {@code m5.large}
 * @param kernelId the kernel id, if any
 * @param ramdiskId the RAM disk id, if any
 * @param pendingTime when the instance was launched, as IMDS wrote it
 * @param privateIp the primary private IPv4 address
 * @param region the Region, such as {@code us-east-1}
 * @param version the document format version
 */
public record IdentityDocument(
    String accountId,
    Optional<String> architecture,
    String availabilityZone,
    List<String> billingProducts,
    List<String> devpayProductCodes,
    List<String> marketplaceProductCodes,
    String imageId,
    String instanceId,
    String instanceType,
    Optional<String> kernelId,
    Optional<String> ramdiskId,
    Optional<String> pendingTime,
    Optional<String> privateIp,
    String region,
    Optional<String> version) {
  /** Checks for nulls and copies the lists. */
  public IdentityDocument {
    Objects.requireNonNull(accountId, "accountId");
    Objects.requireNonNull(architecture, "architecture");
    Objects.requireNonNull(availabilityZone, "availabilityZone");
    billingProducts = List.copyOf(billingProducts);
    devpayProductCodes = List.copyOf(devpayProductCodes);
    marketplaceProductCodes = List.copyOf(marketplaceProductCodes);
    Objects.requireNonNull(imageId, "imageId");
    Objects.requireNonNull(instanceId, "instanceId");
    Objects.requireNonNull(instanceType, "instanceType");
    Objects.requireNonNull(kernelId, "kernelId");
    Objects.requireNonNull(ramdiskId, "ramdiskId");
    Objects.requireNonNull(pendingTime, "pendingTime");
    Objects.requireNonNull(privateIp, "privateIp");
    Objects.requireNonNull(region, "region");
    Objects.requireNonNull(version, "version");
  }
}
