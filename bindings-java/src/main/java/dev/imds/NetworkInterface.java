package dev.imds;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One network interface ({@code network/interfaces/macs/<mac>/}). Items IMDS does not list are
 * empty. Immutable.
 *
 * @param mac the MAC address, which names the interface in IMDS
 * @param deviceNumber the device number; 0 is the primary interface
 * @param interfaceId the interface id, {@code eni-...}
 * @param localIpv4s private IPv4 addresses
 * @param publicIpv4s public IPv4 addresses
 * @param ipv6s IPv6 addresses
 * @param subnetId the subnet id
 * @param subnetIpv4CidrBlock the subnet's IPv4 CIDR block
 * @param vpcId the VPC id
 * @param vpcIpv4CidrBlocks the VPC's IPv4 CIDR blocks
 * @param securityGroupIds security group ids
 * @param ownerId the interface owner's account id
 */
public record NetworkInterface(
    String mac,
    OptionalInt deviceNumber,
    Optional<String> interfaceId,
    List<String> localIpv4s,
    List<String> publicIpv4s,
    List<String> ipv6s,
    Optional<String> subnetId,
    Optional<String> subnetIpv4CidrBlock,
    Optional<String> vpcId,
    List<String> vpcIpv4CidrBlocks,
    List<String> securityGroupIds,
    Optional<String> ownerId) {
  /** Checks for nulls and copies the lists. */
  public NetworkInterface {
    Objects.requireNonNull(mac, "mac");
    Objects.requireNonNull(deviceNumber, "deviceNumber");
    Objects.requireNonNull(interfaceId, "interfaceId");
    localIpv4s = List.copyOf(localIpv4s);
    publicIpv4s = List.copyOf(publicIpv4s);
    ipv6s = List.copyOf(ipv6s);
    Objects.requireNonNull(subnetId, "subnetId");
    Objects.requireNonNull(subnetIpv4CidrBlock, "subnetIpv4CidrBlock");
    Objects.requireNonNull(vpcId, "vpcId");
    vpcIpv4CidrBlocks = List.copyOf(vpcIpv4CidrBlocks);
    securityGroupIds = List.copyOf(securityGroupIds);
    Objects.requireNonNull(ownerId, "ownerId");
  }
}
