package dev.imds.demo;

import dev.imds.Credentials;
import dev.imds.IdentityDocument;
import dev.imds.ImdsClient;
import dev.imds.ImdsNotFoundException;
import dev.imds.SpotInstanceAction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What a service does with the client at start-up: {@code java -jar imds.jar [--poll-seconds N]
 * [--max-polls N] [--cert FILE]}.
 *
 * <p>It learns where it runs, reads its role credentials and user-data, waits for a spot
 * interruption notice, and checks the identity document's signature against the certificate in
 * {@code --cert} (default {@code $IMDS_EMULATOR_CERT}). Every setting comes from the usual AWS
 * variables and profile, so the same jar runs on EC2 and, with {@code
 * AWS_EC2_METADATA_SERVICE_ENDPOINT} set, against the emulator. It prints the lines every
 * language's demo prints ({@code instance-id:}, {@code region:}, {@code credentials:}, {@code
 * user-data:}, {@code spot:}, {@code signature:}), which {@code make demo} lays side by side.
 */
public final class Demo {
  private Demo() {}

  /**
   * Runs the demo.
   *
   * @param args {@code --poll-seconds N}, {@code --max-polls N} and {@code --cert FILE}, all
   *     optional
   * @throws Exception when IMDS answers with an error or the certificate cannot be read; the JVM
   *     then exits non-zero with the error's message
   */
  public static void main(String[] args) throws Exception {
    long pollSeconds = 1;
    int maxPolls = 30;
    String cert = System.getenv("IMDS_EMULATOR_CERT");
    for (int i = 0; i < args.length; i++) {
      String value = i + 1 < args.length ? args[i + 1] : null;
      switch (args[i]) {
        case "--poll-seconds" -> pollSeconds = Long.parseLong(required(args[i], value));
        case "--max-polls" -> maxPolls = Integer.parseInt(required(args[i], value));
        case "--cert" -> cert = required(args[i], value);
        default -> throw new IllegalArgumentException("unknown argument: " + args[i]);
      }
      i++;
    }

    try (ImdsClient client = ImdsClient.builder().build()) {
      // The region is read asynchronously while the identity document is read in this thread.
      CompletableFuture<String> region = client.regionAsync();
      IdentityDocument document = client.identityDocument();
      System.out.println("instance-id: " + document.instanceId());
      System.out.println("region: " + region.join());

      try {
        Credentials credentials = client.credentials();
        // The secret key and session token go to an AWS SDK, never to a log or a screen.
        System.out.println(
            "credentials: role="
                + credentials.role()
                + " access_key_id="
                + credentials.accessKeyId()
                + " secret=<redacted> expires="
                + credentials.expiration().truncatedTo(ChronoUnit.SECONDS));
      } catch (ImdsNotFoundException e) {
        System.out.println("credentials: none (no IAM role attached)");
      }

      // User-data often holds secrets: only its size is shown.
      int userDataBytes = client.userData().map(bytes -> bytes.length).orElse(0);
      System.out.println("user-data: " + userDataBytes + " bytes");

      System.out.println("spot: " + waitForSpotNotice(client, pollSeconds, maxPolls));

      if (cert == null || cert.isEmpty()) {
        System.out.println("signature: not checked (no certificate given)");
      } else {
        // Throws ImdsSignatureInvalidException when the document was not signed by `cert`.
        client.verifiedIdentityDocument(Files.readString(Path.of(cert)));
        System.out.println("signature: verified");
      }
    }
  }

  /** Polls for a spot interruption notice until one appears or the polls run out. */
  private static String waitForSpotNotice(ImdsClient client, long pollSeconds, int maxPolls)
      throws InterruptedException {
    for (int poll = 1; poll <= maxPolls; poll++) {
      Optional<SpotInstanceAction> action = client.spotInstanceAction();
      if (action.isPresent()) {
        return action.get().action() + " at " + action.get().time().truncatedTo(ChronoUnit.SECONDS);
      }
      Thread.sleep(pollSeconds * 1000);
    }
    return "no notice after " + maxPolls + " polls";
  }

  private static String required(String flag, String value) {
    if (value == null) {
      throw new IllegalArgumentException(flag + " needs a value");
    }
    return value;
  }
}
