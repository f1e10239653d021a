package dev.imds;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An {@code imds-emulator} child process and its admin API.
 *
 * <p>The binary is {@code $IMDS_EMULATOR_BIN}, else the system property {@code imds.emulator.bin}
 * the build sets. It runs with {@code --exit-on-stdin-eof}, so it never outlives the test JVM, and
 * prints one JSON line with its endpoint and admin URL once ready.
 */
final class Emulator implements AutoCloseable {
  private static final Pattern FIELD = Pattern.compile("\"(endpoint|admin)\"\\s*:\\s*\"([^\"]+)\"");

  private final Process process;
  private final Path log;
  private final String endpoint;
  private final String admin;
  private final HttpClient http =
      HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(5))
          .proxy(HttpClient.Builder.NO_PROXY)
          .build();

  private Emulator(Process process, Path log, String endpoint, String admin) {
    this.process = process;
    this.log = log;
    this.endpoint = endpoint;
    this.admin = admin;
  }

  static Path binary() {
    String fromEnv = System.getenv("IMDS_EMULATOR_BIN");
    String path =
        fromEnv != null && !fromEnv.isEmpty() ? fromEnv : System.getProperty("imds.emulator.bin");
    if (path == null || !Files.isExecutable(Path.of(path))) {
      throw new IllegalStateException(
          "the emulator binary "
              + path
              + " is missing: run `make build-emulator` or set IMDS_EMULATOR_BIN");
    }
    return Path.of(path);
  }

  static Emulator start() throws IOException {
    Path log = Files.createTempFile("imds-emulator-", ".log");
    ProcessBuilder builder =
        new ProcessBuilder(
                binary().toString(),
                "--port",
                "0",
                "--admin-port",
                "0",
                "--exit-on-stdin-eof",
                "--log-level",
                "warn")
            .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
    Process process = builder.start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    if (line == null) {
      process.destroyForcibly();
      throw new IOException(
          "the emulator exited before it was ready: " + Files.readString(log).strip());
    }
    String endpoint = null;
    String admin = null;
    Matcher matcher = FIELD.matcher(line);
    while (matcher.find()) {
      if (matcher.group(1).equals("endpoint")) {
        endpoint = matcher.group(2);
      } else {
        admin = matcher.group(2);
      }
    }
    if (endpoint == null || admin == null) {
      process.destroyForcibly();
      throw new IOException("unexpected ready line from the emulator: " + line);
    }
    return new Emulator(process, log, endpoint, admin);
  }

  /** The metadata endpoint, {@code http://127.0.0.1:PORT}. */
  String endpoint() {
    return endpoint;
  }

  /** A client builder pointed at this emulator, isolated from the process environment. */
  ImdsClient.Builder client() {
    return ImdsClient.builder()
        .endpoint(endpoint)
        .environment(java.util.Map.of())
        .configFile(Path.of("/nonexistent/imds-test-config"));
  }

  /**
   * Sends an admin request and returns the body; fails on a status other than 2xx, which is a
   * broken test, not a client failure. {@code body} is sent as it is (usually JSON; raw text for
   * {@code PUT /metadata/...}), or no body when null.
   */
  String admin(String method, String path, String body) {
    HttpRequest.BodyPublisher publisher =
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8);
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(admin + path))
            .timeout(Duration.ofSeconds(10))
            .header("content-type", "application/json")
            .method(method, publisher)
            .build();
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() / 100 != 2) {
        throw new IllegalStateException(
            method + " " + path + " answered " + response.statusCode() + ": " + response.body());
      }
      return response.body();
    } catch (IOException e) {
      throw new IllegalStateException("admin request " + method + " " + path + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  void faults(String json) {
    admin("PUT", "/faults", json);
  }

  /** The whole counters document ({@code GET /counters}), as JSON text. */
  String counters() {
    return admin("GET", "/counters", null);
  }

  /** A number from the counters document, such as {@code token_puts}. */
  long counter(String name) {
    Matcher matcher =
        Pattern.compile("\"" + Pattern.quote(name) + "\"\\s*:\\s*(\\d+)").matcher(counters());
    if (!matcher.find()) {
      throw new IllegalStateException("no counter " + name);
    }
    return Long.parseLong(matcher.group(1));
  }

  /** Puts the emulator back in its starting state between tests. */
  void reset() {
    admin("PUT", "/config", "{}");
    admin("PUT", "/autoscaling", "{\"state\":null}");
    admin("DELETE", "/faults", null);
    admin("DELETE", "/events", null);
    admin("PUT", "/mode", "{\"http_tokens\":\"required\",\"http_endpoint\":\"enabled\"}");
    admin("PUT", "/credentials", "{\"mode\":\"success\"}");
    admin("POST", "/counters/reset", null);
  }

  @Override
  public void close() {
    try {
      process.getOutputStream().close();
    } catch (IOException e) {
      // Already closed: the process is on its way out anyway.
    }
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    // The log only matters when the emulator fails to start (start() reads it then); the
    // conformance runner starts one emulator per scenario, so each would otherwise stay behind.
    try {
      Files.deleteIfExists(log);
    } catch (IOException e) {
      // A leftover file in the temporary directory is harmless.
    }
  }
}
