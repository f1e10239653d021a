package dev.imds.demo;

import dev.imds.Credentials;
import dev.imds.IdentityDocument;
import dev.imds.ImdsClient;
import dev.imds.ImdsNotFoundException;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A tour of the Java client: {@code java -cp imds.jar dev.imds.demo.Demo [ENDPOINT]}.
 *
 * <p>Without an argument the endpoint comes from the environment ({@code
 * AWS_EC2_METADATA_SERVICE_ENDPOINT}), the shared config file, or the real IMDS address.
 */
public final class Demo {
  private Demo() {}

  /**
   * Runs the tour against {@code args[0]} when given.
   *
   * @param args an optional endpoint, such as {@code http://127.0.0.1:1338}
   */
  public static void main(String[] args) throws Exception {
    ImdsClient.Builder builder = ImdsClient.builder();
    if (args.length > 0) {
      builder.endpoint(args[0]);
    }
    try (ImdsClient client = builder.build()) {
      System.out.println("java: native core " + ImdsClient.nativeVersion());
      System.out.println("java: instance-id = " + client.getMetadata("instance-id"));
      System.out.println("java: region = " + client.region());
      IdentityDocument document = client.identityDocument();
      System.out.println(
          "java: identity = " + document.instanceId() + " (" + document.instanceType() + ")");
      System.out.println("java: placement/ = " + client.listMetadata("placement/"));

      Credentials credentials = client.credentials();
      System.out.println("java: credentials = " + credentials);

      System.out.println(
          "java: user-data = "
              + client
                  .userData()
                  .map(bytes -> bytes.length + " bytes (not printed: it may hold secrets)")
                  .orElse("none"));
      System.out.println(
          "java: spot action = "
              + client.spotInstanceAction().map(Object::toString).orElse("none"));

      List<CompletableFuture<String>> futures =
          List.of(client.instanceIdAsync(), client.availabilityZoneAsync(), client.regionAsync());
      CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).join();
      System.out.println("java: async = " + futures.stream().map(CompletableFuture::join).toList());

      try {
        client.getMetadata("no-such-item");
      } catch (ImdsNotFoundException e) {
        System.out.println(
            "java: not found, code "
                + e.code()
                + ", status "
                + e.statusCode().orElse(0)
                + ": "
                + e.getMessage());
      }
      System.out.println("java: done");
    }
  }
}
