package dev.imds;

/** Which IMDS address to use when no endpoint is configured. */
public enum EndpointMode {
  /** {@code 169.254.169.254}, the address every instance has; the default. */
  IPV4("IPv4"),
  /** {@code fd00:ec2::254}, on Nitro instances with the IPv6 endpoint turned on. */
  IPV6("IPv6");

  private final String wireName;

  EndpointMode(String wireName) {
    this.wireName = wireName;
  }

  /** The spelling the shared AWS settings use: {@code IPv4} or {@code IPv6}. */
  @Override
  public String toString() {
    return wireName;
  }
}
