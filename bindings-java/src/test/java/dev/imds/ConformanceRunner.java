package dev.imds;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * The Java runner of the language-neutral conformance scenarios in {@code tests/conformance/} (the
 * format is that folder's README), with the checks of the reference runner ({@code
 * core/tests/conformance.rs}) and the Python and Go runners.
 *
 * <p>Every scenario runs against a fresh emulator process, through the public API only ({@link
 * ImdsClient} and its builder). The whole scenario is checked before anything starts: anything the
 * format does not define (a key, a step type, a call, a setting, an error kind, a counter, a name
 * compared before it is saved) fails it with {@link ScenarioFormatError}, so a new kind of scenario
 * is never passed by being skipped.
 *
 * <p>Java cannot change its own process environment, so each client gets the scenario's environment
 * through {@link ImdsClient.Builder#environment(Map)}: the process environment without its {@code
 * AWS_*} variables, the scenario's variables, and {@code AWS_CONFIG_FILE} naming the scenario's
 * profile file. That isolation also lets scenarios run one after the other without restoring
 * anything.
 */
final class ConformanceRunner {
  /** The scenario says something this runner does not understand: fix one or the other. */
  static final class ScenarioFormatError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ScenarioFormatError(String message) {
      super(message);
    }
  }

  /**
   * A build step where the Java API says something other than the scenario by design: the setter of
   * {@code setting} refuses the value with {@link IllegalArgumentException} before the core sees
   * it. Such a step must still fail, and fail exactly that way, so that the entry goes as soon as
   * the difference does.
   */
  record Divergence(String setting, String reason) {}

  /**
   * The known divergences of the Java API, keyed {@code "scenario/step N"}.
   *
   * <p>Java refuses an argument it can judge on the spot in the setter, with {@link
   * IllegalArgumentException}, as any Java method would (bindings-java/README.md, "Errors"); the
   * limits come from the core. The scenario expects {@code invalid_input} from building the client,
   * which in Java is {@link ImdsInvalidInputException}, kept for what only the core can judge.
   */
  static final Map<String, Divergence> KNOWN_DIVERGENCES =
      Map.of(
          "invalid_settings_are_invalid_input/step 0",
          new Divergence(
              "token_ttl", "tokenTtl(0 s) throws IllegalArgumentException, not invalid_input"),
          "invalid_settings_are_invalid_input/step 1",
          new Divergence(
              "token_ttl", "tokenTtl(21601 s) throws IllegalArgumentException, not invalid_input"),
          "invalid_settings_are_invalid_input/step 2",
          new Divergence(
              "max_attempts", "maxAttempts(0) throws IllegalArgumentException, not invalid_input"));

  // What a scenario may say, by where it says it (tests/conformance/README.md).
  private static final Set<String> SCENARIO_KEYS =
      Set.of("description", "emulator", "client", "steps", "counters");
  private static final Set<String> EMULATOR_KEYS =
      Set.of("config", "mode", "faults", "credentials", "user_data");
  private static final Set<String> CLIENT_KEYS =
      Set.of("settings", "env", "profile", "endpoint_from");
  private static final Set<String> ADMIN_KEYS = Set.of("method", "path", "body");
  private static final Set<String> COUNTER_KEYS =
      Set.of("token_puts", "token_rejected", "requests", "reads");
  private static final Set<String> ERROR_KEYS = Set.of("error", "status", "message_contains");
  private static final Set<String> VALUE_KEYS =
      Set.of("value", "contains", "fields", "prefix", "none", "count", "save", "same", "differs");
  private static final Set<String> ENDPOINT_SOURCES =
      Set.of("code", "env", "profile", "closed_port", "silent", "none");

  /** The emulator set-up keys that are a PUT of their object, and where it goes. */
  private static final Map<String, String> EMULATOR_PUTS =
      Map.of(
          "config", "/config", "mode", "/mode", "faults", "/faults", "credentials", "/credentials");

  /** The JSON type each setting takes, by its core name. */
  private enum SettingType {
    SECONDS,
    COUNT,
    FLAG,
    TEXT
  }

  private static final Map<String, SettingType> SETTINGS =
      Map.of(
          "token_ttl", SettingType.SECONDS,
          "timeout", SettingType.SECONDS,
          "connect_timeout", SettingType.SECONDS,
          "max_attempts", SettingType.COUNT,
          "max_response_size", SettingType.COUNT,
          "disabled", SettingType.FLAG,
          "cache_immutable", SettingType.FLAG,
          "v1_fallback", SettingType.FLAG,
          "v1_disabled", SettingType.FLAG,
          "endpoint_mode", SettingType.TEXT);

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  // Duplicate keys would make a scenario mean whatever the parser keeps: refuse them.
  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private static final DateTimeFormatter SECONDS_UTC =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);

  private final Map<String, Divergence> divergences;
  private final Path directory;

  /**
   * A runner that accepts {@code divergences} and writes each scenario's profile files under {@code
   * directory}.
   */
  ConformanceRunner(Map<String, Divergence> divergences, Path directory) {
    this.divergences = Map.copyOf(divergences);
    this.directory = directory;
  }

  /** Reads a scenario file; {@link ScenarioFormatError} when it is not one JSON object. */
  static JsonNode load(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    try {
      return object(MAPPER.readTree(text), file.getFileName().toString());
    } catch (JsonProcessingException e) {
      throw new ScenarioFormatError(file.getFileName() + " is not JSON: " + e.getOriginalMessage());
    }
  }

  /** Parses a scenario given as text, as the runner's own tests write them. */
  static JsonNode parse(String text) {
    try {
      return MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new ScenarioFormatError("not JSON: " + e.getOriginalMessage());
    }
  }

  /**
   * Runs the scenario {@code name}: {@link AssertionError} when the client misbehaves, {@link
   * ScenarioFormatError} when the scenario is not in the format.
   *
   * @return one line per known divergence met, for the test's output
   */
  List<String> run(String name, JsonNode scenario) throws IOException {
    validate(name, scenario);
    Path scenarioDirectory = Files.createDirectories(directory.resolve(name));
    List<String> notes = new ArrayList<>();
    try (Emulator emulator = Emulator.start()) {
      setUpEmulator(emulator, scenario.path("emulator"));
      ClientFactory factory =
          new ClientFactory(scenario.path("client"), emulator, scenarioDirectory);
      JsonNode steps = scenario.get("steps");
      try (ImdsClient client = buildScenarioClient(factory)) {
        Map<String, JsonNode> saved = new HashMap<>();
        for (int index = 0; index < steps.size(); index++) {
          JsonNode step = steps.get(index);
          try {
            runStep(name + "/step " + index, index, step, client, emulator, factory, saved, notes);
          } catch (AssertionError failure) {
            throw new AssertionError(
                "step " + index + " " + abbreviated(step) + ": " + failure.getMessage(), failure);
          }
        }
      }
      if (scenario.has("counters")) {
        checkCounters(scenario.get("counters"), MAPPER.readTree(emulator.counters()));
      }
    }
    return notes;
  }

  private static ImdsClient buildScenarioClient(ClientFactory factory) throws IOException {
    try {
      return factory.build(JSON.objectNode(), "config");
    } catch (ImdsException e) {
      throw new AssertionError(
          "the scenario's client did not build: " + e.kind().wireName() + ": " + e.getMessage(), e);
    } catch (SettingRefused e) {
      throw new AssertionError("the scenario's client did not build: " + e.getMessage(), e);
    }
  }

  private static String abbreviated(JsonNode step) {
    String text = step.toString();
    return text.length() <= 200 ? text : text.substring(0, 200) + "...";
  }

  // --- checking the scenario before anything starts --------------------------------------------

  /** Fails with {@link ScenarioFormatError} on anything the format does not define. */
  void validate(String name, JsonNode scenario) {
    only(object(scenario, "the scenario"), SCENARIO_KEYS, "the scenario");
    if (scenario.has("description")) {
      text(scenario.get("description"), "description");
    }
    if (scenario.has("emulator")) {
      JsonNode setup = object(scenario.get("emulator"), "emulator");
      only(setup, EMULATOR_KEYS, "emulator");
      for (String key : EMULATOR_PUTS.keySet()) {
        if (setup.has(key)) {
          object(setup.get(key), "emulator." + key);
        }
      }
      if (setup.has("user_data") && !setup.get("user_data").isNull()) {
        throw new ScenarioFormatError("emulator.user_data can only be null (no user-data)");
      }
    }
    if (scenario.has("client")) {
      validateClientOptions(scenario.get("client"), "client");
    }
    JsonNode steps = scenario.get("steps");
    if (steps == null || !steps.isArray() || steps.isEmpty()) {
      throw new ScenarioFormatError("`steps` must be a non-empty list");
    }
    // Names remembered by earlier steps: comparing with one never saved would let `differs`
    // hold for a misspelt name.
    Set<String> saved = new HashSet<>();
    for (int index = 0; index < steps.size(); index++) {
      validateStep(steps.get(index), "step " + index, saved);
    }
    if (scenario.has("counters")) {
      JsonNode counters = object(scenario.get("counters"), "counters");
      only(counters, COUNTER_KEYS, "counters");
      for (Map.Entry<String, JsonNode> counter : counters.properties()) {
        if (counter.getKey().equals("reads")) {
          for (Map.Entry<String, JsonNode> read :
              object(counter.getValue(), "counters.reads").properties()) {
            count(read.getValue(), "counters.reads." + read.getKey());
          }
        } else {
          count(counter.getValue(), "counters." + counter.getKey());
        }
      }
    }
    validateDivergences(name, steps);
  }

  private void validateDivergences(String name, JsonNode steps) {
    for (Map.Entry<String, Divergence> entry : divergences.entrySet()) {
      String prefix = name + "/step ";
      if (!entry.getKey().startsWith(prefix)) {
        continue;
      }
      int index;
      try {
        index = Integer.parseInt(entry.getKey().substring(prefix.length()));
      } catch (NumberFormatException e) {
        throw new ScenarioFormatError("known divergence " + entry.getKey() + " names no step");
      }
      JsonNode step = index >= 0 && index < steps.size() ? steps.get(index) : null;
      if (step == null
          || !step.has("build")
          || !step.get("build").path("settings").has(entry.getValue().setting())) {
        throw new ScenarioFormatError(
            "known divergence "
                + entry.getKey()
                + " names no build step that sets "
                + entry.getValue().setting());
      }
    }
  }

  private static void validateClientOptions(JsonNode options, String where) {
    only(object(options, where), CLIENT_KEYS, where);
    if (options.has("settings")) {
      for (Map.Entry<String, JsonNode> setting :
          object(options.get("settings"), where + ".settings").properties()) {
        validateSetting(setting.getKey(), setting.getValue());
      }
    }
    if (options.has("env")) {
      for (Map.Entry<String, JsonNode> variable :
          object(options.get("env"), where + ".env").properties()) {
        text(variable.getValue(), "env." + variable.getKey());
      }
    }
    if (options.has("profile")) {
      text(options.get("profile"), where + ".profile");
    }
    if (options.has("endpoint_from")) {
      String source = text(options.get("endpoint_from"), where + ".endpoint_from");
      if (!ENDPOINT_SOURCES.contains(source)) {
        throw new ScenarioFormatError(
            "unknown endpoint_from "
                + options.get("endpoint_from")
                + "; known: "
                + sorted(ENDPOINT_SOURCES));
      }
    }
  }

  private static void validateSetting(String name, JsonNode value) {
    SettingType type = SETTINGS.get(name);
    if (type == null) {
      throw new ScenarioFormatError(
          "unknown setting " + name + "; this runner knows " + sorted(SETTINGS.keySet()));
    }
    switch (type) {
      case SECONDS -> {
        if (!value.isNumber()) {
          throw new ScenarioFormatError("setting " + name + " must be a number of seconds");
        }
        nanos(value, "setting " + name);
      }
      case COUNT -> {
        count(value, "setting " + name);
        // The Java setters take an int (attempts) or a long (bytes).
        long limit = name.equals("max_attempts") ? Integer.MAX_VALUE : Long.MAX_VALUE;
        if (value.bigIntegerValue().compareTo(BigInteger.valueOf(limit)) > 0) {
          throw new ScenarioFormatError(
              "setting " + name + " " + value + " does not fit the Java setter's argument");
        }
      }
      case FLAG -> {
        if (!value.isBoolean()) {
          throw new ScenarioFormatError("setting " + name + " must be true or false");
        }
      }
      case TEXT -> text(value, "setting " + name);
    }
  }

  private static void validateStep(JsonNode step, String where, Set<String> saved) {
    object(step, where);
    if (step.has("sleep")) {
      only(step, Set.of("sleep"), where);
      JsonNode seconds = step.get("sleep");
      if (!seconds.isNumber() || seconds.decimalValue().signum() < 0) {
        throw new ScenarioFormatError(where + ": sleep must be a non-negative number");
      }
      nanos(seconds, where + " sleep");
    } else if (step.has("admin")) {
      only(step, Set.of("admin"), where);
      JsonNode request = object(step.get("admin"), where + " admin");
      only(request, ADMIN_KEYS, where + " admin");
      text(request.get("method"), where + " admin.method");
      text(request.get("path"), where + " admin.path");
    } else if (step.has("build")) {
      only(step, Set.of("build", "expect"), where);
      validateClientOptions(step.get("build"), where + " build");
      validateExpect(step.path("expect"), where, saved);
    } else if (step.has("call")) {
      only(step, Set.of("call", "args", "expect", "repeat"), where);
      String name = text(step.get("call"), where + " call");
      Call call = CALLS.get(name);
      if (call == null) {
        throw new ScenarioFormatError(
            where + ": unknown call " + name + "; this runner knows " + sorted(CALLS.keySet()));
      }
      JsonNode args = step.path("args");
      if (step.has("args")) {
        if (!args.isArray()) {
          throw new ScenarioFormatError(where + ": args must be a list of strings");
        }
        for (JsonNode arg : args) {
          text(arg, where + " argument");
        }
      }
      if (args.size() != call.arity()) {
        throw new ScenarioFormatError(
            name + " takes " + call.arity() + " argument(s), the step gives " + args.size());
      }
      if (step.has("repeat")) {
        JsonNode repeat = step.get("repeat");
        if (!repeat.isIntegralNumber()
            || repeat.bigIntegerValue().signum() <= 0
            || !repeat.canConvertToInt()) {
          throw new ScenarioFormatError(where + ": repeat must be a positive integer");
        }
      }
      validateExpect(step.path("expect"), where, saved);
    } else {
      throw new ScenarioFormatError(
          where
              + ": unknown step type "
              + sorted(keys(step))
              + "; known: sleep, admin, build, call");
    }
  }

  private static void validateExpect(JsonNode expect, String where, Set<String> saved) {
    if (expect.isMissingNode()) {
      return;
    }
    object(expect, where + " expect");
    if (expect.has("error")) {
      only(expect, ERROR_KEYS, where + " error expectation");
      kindNamed(text(expect.get("error"), where + " expect.error"));
      if (expect.has("status")
          && !(expect.get("status").isIntegralNumber() && expect.get("status").canConvertToInt())) {
        throw new ScenarioFormatError(where + ": expect.status must be an integer");
      }
      if (expect.has("message_contains")) {
        text(expect.get("message_contains"), where + " expect.message_contains");
      }
      return;
    }
    Set<String> misplaced = new TreeSet<>(keys(expect));
    misplaced.retainAll(Set.of("status", "message_contains"));
    if (!misplaced.isEmpty()) {
      throw new ScenarioFormatError(where + ": " + misplaced + " without `error`");
    }
    only(expect, VALUE_KEYS, where + " expect");
    if (expect.has("fields")) {
      object(expect.get("fields"), where + " expect.fields");
    }
    if (expect.has("prefix")) {
      for (Map.Entry<String, JsonNode> prefix :
          object(expect.get("prefix"), where + " expect.prefix").properties()) {
        text(prefix.getValue(), where + " expect.prefix." + prefix.getKey());
      }
    }
    if (expect.has("none") && !expect.get("none").isBoolean()) {
      throw new ScenarioFormatError(where + ": expect.none must be true or false");
    }
    if (expect.has("count")) {
      count(expect.get("count"), where + " expect.count");
    }
    for (String comparison : List.of("same", "differs")) {
      if (expect.has(comparison)) {
        for (Map.Entry<String, JsonNode> field :
            object(expect.get(comparison), where + " expect." + comparison).properties()) {
          String name = text(field.getValue(), where + " expect." + comparison + " name");
          if (!saved.contains(name)) {
            throw new ScenarioFormatError(
                where + ": expect." + comparison + ": nothing was saved as " + name);
          }
        }
      }
    }
    // After the comparisons: a step compares with what earlier steps saved, then saves.
    if (expect.has("save")) {
      for (Map.Entry<String, JsonNode> field :
          object(expect.get("save"), where + " expect.save").properties()) {
        saved.add(text(field.getValue(), where + " expect.save name"));
      }
    }
  }

  private static ObjectNode object(JsonNode value, String where) {
    if (value == null || !value.isObject()) {
      throw new ScenarioFormatError(where + " must be an object, not " + value);
    }
    return (ObjectNode) value;
  }

  private static String text(JsonNode value, String where) {
    if (value == null || !value.isTextual()) {
      throw new ScenarioFormatError(where + " must be a string, not " + value);
    }
    return value.textValue();
  }

  private static void count(JsonNode value, String where) {
    if (value == null || !value.isIntegralNumber() || value.bigIntegerValue().signum() < 0) {
      throw new ScenarioFormatError(where + " must be a non-negative integer, not " + value);
    }
  }

  /** A number of seconds as whole nanoseconds, to the nearest, as every runner converts it. */
  private static long nanos(JsonNode seconds, String where) {
    try {
      return seconds
          .decimalValue()
          .movePointRight(9)
          .setScale(0, RoundingMode.HALF_EVEN)
          .longValueExact();
    } catch (ArithmeticException e) {
      throw new ScenarioFormatError(where + ": " + seconds + " seconds is too long");
    }
  }

  private static void only(JsonNode object, Set<String> known, String where) {
    Set<String> unknown = new TreeSet<>(keys(object));
    unknown.removeAll(known);
    if (!unknown.isEmpty()) {
      throw new ScenarioFormatError(
          where + ": unknown key(s) " + unknown + "; this runner knows " + sorted(known));
    }
  }

  private static Set<String> keys(JsonNode object) {
    Set<String> keys = new TreeSet<>();
    object.properties().forEach(property -> keys.add(property.getKey()));
    return keys;
  }

  private static Set<String> sorted(Set<String> names) {
    return new TreeSet<>(names);
  }

  private static ErrorKind kindNamed(String name) {
    for (ErrorKind kind : ErrorKind.values()) {
      if (kind.wireName().equals(name)) {
        return kind;
      }
    }
    throw new ScenarioFormatError("unknown error kind " + name);
  }

  // --- the emulator and the clients ------------------------------------------------------------

  private static void setUpEmulator(Emulator emulator, JsonNode setup) {
    for (Map.Entry<String, String> put : EMULATOR_PUTS.entrySet()) {
      if (setup.has(put.getKey())) {
        emulator.admin("PUT", put.getValue(), setup.get(put.getKey()).toString());
      }
    }
    if (setup.has("user_data")) {
      emulator.admin("DELETE", "/user-data", null);
    }
  }

  /** A loopback endpoint where nothing listens. */
  private static String closedPortEndpoint() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return "http://127.0.0.1:" + socket.getLocalPort();
    }
  }

  /** A builder setter refused a scenario's setting with {@link IllegalArgumentException}. */
  private static final class SettingRefused extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final String setting;

    SettingRefused(String setting, IllegalArgumentException cause) {
      super(
          "the builder's setter for "
              + setting
              + " threw IllegalArgumentException: "
              + cause.getMessage(),
          cause);
      this.setting = setting;
    }
  }

  /** Builds clients the way a scenario's {@code client} section, or a build step, says. */
  private static final class ClientFactory {
    private final JsonNode spec;
    private final Emulator emulator;
    private final Path directory;

    ClientFactory(JsonNode spec, Emulator emulator, Path directory) {
      this.spec = spec;
      this.emulator = emulator;
      this.directory = directory;
    }

    /**
     * A client from the scenario's options, each replaced by the override when given.
     *
     * @throws ImdsException when building fails in the core
     * @throws SettingRefused when a setter refuses a setting
     */
    ImdsClient build(JsonNode overrides, String profileName) throws IOException {
      String endpointFrom =
          option(overrides, "endpoint_from").map(JsonNode::textValue).orElse("code");
      String profile = option(overrides, "profile").map(JsonNode::textValue).orElse("");
      Map<String, String> env = new LinkedHashMap<>();
      option(overrides, "env")
          .ifPresent(
              vars ->
                  vars.properties().forEach(v -> env.put(v.getKey(), v.getValue().textValue())));

      ImdsClient.Builder builder = ImdsClient.builder();
      switch (endpointFrom) {
        case "code" -> builder.endpoint(emulator.endpoint());
        case "env" -> env.put("AWS_EC2_METADATA_SERVICE_ENDPOINT", emulator.endpoint());
        case "profile" -> {
          if (!profile.contains("[default]")) {
            profile += "\n[default]\n";
          }
          // The first `[default]` line gains the endpoint, as every runner writes it.
          int at = profile.indexOf("[default]\n");
          if (at >= 0) {
            int after = at + "[default]\n".length();
            profile =
                profile.substring(0, after)
                    + "ec2_metadata_service_endpoint = "
                    + emulator.endpoint()
                    + "\n"
                    + profile.substring(after);
          }
        }
        case "closed_port" -> builder.endpoint(closedPortEndpoint());
        case "silent" -> {
          emulator.faults("{\"never_answer\":true}");
          builder.endpoint(emulator.endpoint());
        }
        case "none" -> {}
        default -> throw new ScenarioFormatError("unknown endpoint_from " + endpointFrom);
      }

      Path profileFile = directory.resolve(profileName);
      Files.writeString(profileFile, profile, StandardCharsets.UTF_8);
      // The format's starting point: the process environment without AWS_* variables, then the
      // scenario's, and AWS_CONFIG_FILE last so the profile file is always the scenario's.
      Map<String, String> environment = new LinkedHashMap<>();
      System.getenv()
          .forEach(
              (name, value) -> {
                if (!name.startsWith("AWS_")) {
                  environment.put(name, value);
                }
              });
      environment.putAll(env);
      environment.put("AWS_CONFIG_FILE", profileFile.toString());
      builder.environment(environment);

      Optional<JsonNode> settings = option(overrides, "settings");
      if (settings.isPresent()) {
        for (Map.Entry<String, JsonNode> setting : settings.get().properties()) {
          try {
            apply(builder, setting.getKey(), setting.getValue());
          } catch (IllegalArgumentException e) {
            throw new SettingRefused(setting.getKey(), e);
          }
        }
      }
      return builder.build();
    }

    private Optional<JsonNode> option(JsonNode overrides, String key) {
      return Optional.ofNullable(overrides.has(key) ? overrides.get(key) : spec.get(key));
    }
  }

  /** Sets one setting by its core name, as a Java program would write it. */
  private static void apply(ImdsClient.Builder builder, String name, JsonNode value) {
    switch (name) {
      case "token_ttl" -> builder.tokenTtl(Duration.ofNanos(nanos(value, name)));
      case "timeout" -> builder.timeout(Duration.ofNanos(nanos(value, name)));
      case "connect_timeout" -> builder.connectTimeout(Duration.ofNanos(nanos(value, name)));
      case "max_attempts" -> builder.maxAttempts(value.intValue());
      case "max_response_size" -> builder.maxResponseSize(value.longValue());
      case "disabled" -> builder.disabled(value.booleanValue());
      case "cache_immutable" -> builder.cacheImmutable(value.booleanValue());
      case "v1_fallback" -> builder.v1Fallback(value.booleanValue());
      case "v1_disabled" -> builder.v1Disabled(value.booleanValue());
      case "endpoint_mode" -> endpointMode(builder, value.textValue());
      default -> throw new ScenarioFormatError("unknown setting " + name);
    }
  }

  /**
   * A Java program writes a mode it knows as its constant, and hands over a spelling read from
   * elsewhere as text, for the core to judge.
   */
  private static void endpointMode(ImdsClient.Builder builder, String spelling) {
    for (EndpointMode mode : EndpointMode.values()) {
      if (mode.toString().equals(spelling)) {
        builder.endpointMode(mode);
        return;
      }
    }
    builder.endpointMode(spelling);
  }

  // --- steps ------------------------------------------------------------------------------------

  private void runStep(
      String key,
      int index,
      JsonNode step,
      ImdsClient client,
      Emulator emulator,
      ClientFactory factory,
      Map<String, JsonNode> saved,
      List<String> notes)
      throws IOException {
    if (step.has("sleep")) {
      sleep(nanos(step.get("sleep"), "sleep"));
    } else if (step.has("admin")) {
      JsonNode request = step.get("admin");
      JsonNode body = request.get("body");
      // A string is sent as it is (it may be deliberately broken JSON); anything else as JSON.
      String payload = body == null ? null : body.isTextual() ? body.textValue() : body.toString();
      emulator.admin(request.get("method").textValue(), request.get("path").textValue(), payload);
    } else if (step.has("build")) {
      Outcome outcome;
      try {
        factory.build(step.get("build"), "config-step-" + index).close();
        outcome = new Outcome.Value(JSON.textNode("built"), false);
      } catch (ImdsException e) {
        outcome = new Outcome.Failure(e);
      } catch (SettingRefused e) {
        outcome = new Outcome.Refused(e.setting, e);
      }
      checkDivergingStep(key, step.path("expect"), outcome, saved, notes);
    } else {
      String name = step.get("call").textValue();
      List<String> args = new ArrayList<>();
      step.path("args").forEach(arg -> args.add(arg.textValue()));
      int repeat = step.has("repeat") ? step.get("repeat").intValue() : 1;
      Call call = CALLS.get(name);
      for (int attempt = 1; attempt <= repeat; attempt++) {
        try {
          check(step.path("expect"), invoke(call, client, args, emulator), saved);
        } catch (AssertionError failure) {
          throw new AssertionError(
              name + ", call " + attempt + " of " + repeat + ": " + failure.getMessage(), failure);
        }
      }
    }
  }

  private void checkDivergingStep(
      String key,
      JsonNode expect,
      Outcome outcome,
      Map<String, JsonNode> saved,
      List<String> notes) {
    Divergence divergence = divergences.get(key);
    try {
      check(expect, outcome, saved);
    } catch (AssertionError failure) {
      if (divergence != null
          && outcome instanceof Outcome.Refused refused
          && refused.setting().equals(divergence.setting())) {
        notes.add(
            key + ": known divergence (" + divergence.reason() + "): " + failure.getMessage());
        return;
      }
      throw failure;
    }
    if (divergence != null) {
      throw new AssertionError(key + " passes now: remove it from KNOWN_DIVERGENCES");
    }
  }

  private static void sleep(long nanos) {
    try {
      TimeUnit.NANOSECONDS.sleep(nanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while sleeping", e);
    }
  }

  // --- calls, and their results as plain values -------------------------------------------------

  /** What a step's call did: a plain JSON value, an error, or a setter's refusal. */
  sealed interface Outcome {
    /** A result. {@code secret} results (user-data) are compared but never shown in a message. */
    record Value(JsonNode value, boolean secret) implements Outcome {}

    /** The call failed as the API reports failures. */
    record Failure(ImdsException error) implements Outcome {}

    /** A builder setter refused a setting before the core saw it. */
    record Refused(String setting, RuntimeException error) implements Outcome {}
  }

  /** One call of the format: how many string arguments it takes, and how to make it. */
  private record Call(int arity, boolean secret, Invocation invoke) {}

  /** A call made on a client with the step's arguments and the scenario's emulator at hand. */
  @FunctionalInterface
  private interface Invocation {
    JsonNode apply(ImdsClient client, List<String> args, Emulator emulator);
  }

  private static final Map<String, Call> CALLS =
      Map.ofEntries(
          Map.entry("get_metadata", new Call(1, false, (c, a, e) -> text(c.getMetadata(a.get(0))))),
          Map.entry(
              "list_metadata", new Call(1, false, (c, a, e) -> list(c.listMetadata(a.get(0))))),
          Map.entry("get_dynamic", new Call(1, false, (c, a, e) -> text(c.getDynamic(a.get(0))))),
          Map.entry("user_data", new Call(0, true, (c, a, e) -> userData(c))),
          Map.entry(
              "identity_document", new Call(0, false, (c, a, e) -> document(c.identityDocument()))),
          Map.entry("region", new Call(0, false, (c, a, e) -> text(c.region()))),
          Map.entry("credentials", new Call(0, false, (c, a, e) -> credentials(c.credentials()))),
          Map.entry("iam_info", new Call(0, false, (c, a, e) -> iamInfo(c.iamInfo()))),
          Map.entry("instance_tags", new Call(0, false, (c, a, e) -> tags(c.instanceTags()))),
          Map.entry(
              "spot_instance_action",
              new Call(0, false, (c, a, e) -> spotInstanceAction(c.spotInstanceAction()))),
          Map.entry(
              "scheduled_events",
              new Call(0, false, (c, a, e) -> scheduledEvents(c.scheduledEvents()))),
          Map.entry("instance_id", new Call(0, false, (c, a, e) -> text(c.instanceId()))),
          Map.entry(
              "availability_zone", new Call(0, false, (c, a, e) -> text(c.availabilityZone()))),
          Map.entry(
              "credentials_for_role",
              new Call(1, false, (c, a, e) -> credentials(c.credentialsForRole(a.get(0))))),
          Map.entry(
              "network_interfaces",
              new Call(0, false, (c, a, e) -> networkInterfaces(c.networkInterfaces()))),
          Map.entry(
              "rebalance_recommendation",
              new Call(0, false, (c, a, e) -> rebalance(c.rebalanceRecommendation()))),
          Map.entry(
              "autoscaling_target_state",
              new Call(0, false, (c, a, e) -> text(c.autoscalingTargetState()))),
          // Verified with the certificate the emulator signs with, as a user would with AWS's.
          Map.entry(
              "verified_identity_document",
              new Call(
                  0,
                  false,
                  (c, a, e) ->
                      document(c.verifiedIdentityDocument(e.admin("GET", "/certificate", null))))));

  /**
   * Makes the call. Only the API's own failures are outcomes: anything else (a ClassCastException
   * in the binding, a NullPointerException) propagates and fails the scenario as the bug it is.
   */
  private static Outcome invoke(
      Call call, ImdsClient client, List<String> args, Emulator emulator) {
    try {
      return new Outcome.Value(call.invoke().apply(client, args, emulator), call.secret());
    } catch (ImdsException e) {
      return new Outcome.Failure(e);
    }
  }

  private static JsonNode text(String value) {
    return value == null ? JSON.nullNode() : JSON.textNode(value);
  }

  private static JsonNode text(Optional<String> value) {
    return text(value.orElse(null));
  }

  private static JsonNode list(List<String> values) {
    ArrayNode list = JSON.arrayNode();
    values.forEach(list::add);
    return list;
  }

  /** User-data as UTF-8 text, malformed bytes replaced, as the other runners decode it. */
  private static JsonNode userData(ImdsClient client) {
    return text(client.userData().map(bytes -> new String(bytes, StandardCharsets.UTF_8)));
  }

  private static JsonNode document(IdentityDocument d) {
    ObjectNode document = JSON.objectNode();
    document.set("account_id", text(d.accountId()));
    document.set("architecture", text(d.architecture()));
    document.set("availability_zone", text(d.availabilityZone()));
    document.set("image_id", text(d.imageId()));
    document.set("instance_id", text(d.instanceId()));
    document.set("instance_type", text(d.instanceType()));
    document.set("private_ip", text(d.privateIp()));
    document.set("region", text(d.region()));
    document.set("version", text(d.version()));
    return document;
  }

  /** The secret access key and session token are never projected: nothing may compare them. */
  private static JsonNode credentials(Credentials c) {
    ObjectNode credentials = JSON.objectNode();
    credentials.set("role", text(c.role()));
    credentials.set("access_key_id", text(c.accessKeyId()));
    credentials.set("expiration", text(time(c.expiration())));
    return credentials;
  }

  private static JsonNode iamInfo(IamInfo i) {
    ObjectNode info = JSON.objectNode();
    info.set("code", text(i.code()));
    info.set("instance_profile_arn", text(i.instanceProfileArn()));
    info.set("instance_profile_id", text(i.instanceProfileId()));
    return info;
  }

  private static JsonNode tags(Map<String, String> tags) {
    ObjectNode object = JSON.objectNode();
    tags.forEach((key, value) -> object.set(key, text(value)));
    return object;
  }

  private static JsonNode spotInstanceAction(Optional<SpotInstanceAction> action) {
    if (action.isEmpty()) {
      return JSON.nullNode();
    }
    ObjectNode object = JSON.objectNode();
    object.set("action", text(action.get().action()));
    object.set("time", text(time(action.get().time())));
    return object;
  }

  private static JsonNode networkInterfaces(List<NetworkInterface> interfaces) {
    ArrayNode list = JSON.arrayNode();
    for (NetworkInterface n : interfaces) {
      ObjectNode item = JSON.objectNode();
      item.set("mac", text(n.mac()));
      item.set(
          "device_number",
          n.deviceNumber().isPresent()
              ? JSON.numberNode(n.deviceNumber().getAsInt())
              : JSON.nullNode());
      item.set("interface_id", text(n.interfaceId()));
      item.set("local_ipv4s", list(n.localIpv4s()));
      item.set("subnet_id", text(n.subnetId()));
      item.set("vpc_id", text(n.vpcId()));
      list.add(item);
    }
    return list;
  }

  private static JsonNode rebalance(Optional<RebalanceRecommendation> notice) {
    if (notice.isEmpty()) {
      return JSON.nullNode();
    }
    ObjectNode object = JSON.objectNode();
    object.set("notice_time", text(time(notice.get().noticeTime())));
    return object;
  }

  private static JsonNode scheduledEvents(List<ScheduledEvent> events) {
    ArrayNode list = JSON.arrayNode();
    for (ScheduledEvent e : events) {
      ObjectNode event = JSON.objectNode();
      event.set("code", text(e.code()));
      event.set("event_id", text(e.eventId()));
      event.set("state", text(e.state()));
      list.add(event);
    }
    return list;
  }

  /**
   * RFC 3339 in UTC as the core's {@code format_time} writes it: no fraction when it is zero, else
   * without trailing zero digits ({@link Instant#toString()} pads to groups of three).
   */
  static String time(Instant instant) {
    String fraction = "";
    if (instant.getNano() != 0) {
      fraction = "." + String.format("%09d", instant.getNano()).replaceFirst("0+$", "");
    }
    return SECONDS_UTC.format(instant) + fraction + "Z";
  }

  // --- expectations
  // -------------------------------------------------------------------------------

  /** Compares an outcome with a step's {@code expect}: {@link AssertionError} when unmet. */
  private static void check(JsonNode expect, Outcome outcome, Map<String, JsonNode> saved) {
    if (expect.has("error")) {
      checkError(expect, outcome);
    } else {
      checkValue(expect, outcome, saved);
    }
  }

  private static void checkError(JsonNode expect, Outcome outcome) {
    String name = expect.get("error").textValue();
    ErrorKind kind = kindNamed(name);
    if (!(outcome instanceof Outcome.Failure failure)) {
      throw new AssertionError("expected error " + name + ", got " + describe(outcome));
    }
    ImdsException error = failure.error();
    if (error.kind() != kind) {
      throw new AssertionError("expected error " + name + ", got " + describe(outcome));
    }
    // The class a Java user catches must be the one of the kind the core reported.
    Class<?> expectedClass = ImdsException.fromNative(kind.code(), -1, "").getClass();
    if (error.getClass() != expectedClass || error.code() != kind.code()) {
      throw new AssertionError(
          name + " thrown as " + error.getClass().getSimpleName() + " with code " + error.code());
    }
    if (expect.has("status")) {
      int status = expect.get("status").intValue();
      OptionalInt got = error.statusCode();
      if (got.isEmpty() || got.getAsInt() != status) {
        throw new AssertionError(
            "expected status "
                + status
                + ", got "
                + (got.isPresent() ? Integer.toString(got.getAsInt()) : "none")
                + ": "
                + error.getMessage());
      }
    }
    if (expect.has("message_contains")) {
      String wanted = expect.get("message_contains").textValue();
      if (!error.getMessage().contains(wanted)) {
        throw new AssertionError("the message lacks \"" + wanted + "\": " + error.getMessage());
      }
    }
  }

  private static void checkValue(JsonNode expect, Outcome outcome, Map<String, JsonNode> saved) {
    if (!(outcome instanceof Outcome.Value result)) {
      throw new AssertionError("unexpected " + describe(outcome));
    }
    JsonNode value = result.value();
    // Comparisons with remembered values come before remembering, so a step can both check a
    // field against an earlier one and remember it for a later one.
    for (Map.Entry<String, JsonNode> expectation : expect.properties()) {
      String key = expectation.getKey();
      if (!key.equals("save") && !meets(key, expectation.getValue(), result, saved)) {
        throw new AssertionError(
            "expectation " + key + ": " + expectation.getValue() + " not met by " + render(result));
      }
    }
    if (expect.has("save")) {
      for (Map.Entry<String, JsonNode> field : expect.get("save").properties()) {
        saved.put(field.getValue().textValue(), field(result, field.getKey()));
      }
    }
  }

  private static boolean meets(
      String key, JsonNode wanted, Outcome.Value result, Map<String, JsonNode> saved) {
    JsonNode value = result.value();
    switch (key) {
      case "value":
        return sameJson(value, wanted);
      case "contains":
        if (value.isArray()) {
          for (JsonNode item : value) {
            if (sameJson(item, wanted)) {
              return true;
            }
          }
          return false;
        }
        return value.isTextual()
            && wanted.isTextual()
            && value.textValue().contains(wanted.textValue());
      case "fields":
        for (Map.Entry<String, JsonNode> field : wanted.properties()) {
          if (!value.isObject()
              || !value.has(field.getKey())
              || !sameJson(value.get(field.getKey()), field.getValue())) {
            return false;
          }
        }
        return value.isObject();
      case "prefix":
        for (Map.Entry<String, JsonNode> field : wanted.properties()) {
          JsonNode got = value.get(field.getKey());
          if (got == null
              || !got.isTextual()
              || !got.textValue().startsWith(field.getValue().textValue())) {
            return false;
          }
        }
        return value.isObject();
      case "none":
        return value.isNull() == wanted.booleanValue();
      case "count":
        return value.isArray() && wanted.canConvertToInt() && value.size() == wanted.intValue();
      case "same":
      case "differs":
        for (Map.Entry<String, JsonNode> field : wanted.properties()) {
          String name = field.getValue().textValue();
          JsonNode earlier = saved.get(name);
          if (earlier == null) {
            throw new ScenarioFormatError("expect." + key + ": nothing was saved as " + name);
          }
          if (sameJson(field(result, field.getKey()), earlier) != key.equals("same")) {
            return false;
          }
        }
        return true;
      default:
        throw new ScenarioFormatError("unknown expectation " + key);
    }
  }

  /** A field of an object result; comparing or saving an absent one would hold by accident. */
  private static JsonNode field(Outcome.Value result, String name) {
    JsonNode value = result.value();
    if (!value.isObject() || !value.has(name)) {
      throw new AssertionError("the result has no field " + name + ": " + render(result));
    }
    return value.get(name);
  }

  /**
   * Equality of JSON values as serde_json has it: true is not 1, and 1 is not 1.0; integers compare
   * by value whatever width the parser chose.
   */
  static boolean sameJson(JsonNode a, JsonNode b) {
    if (a.isIntegralNumber() || b.isIntegralNumber()) {
      return a.isIntegralNumber()
          && b.isIntegralNumber()
          && a.bigIntegerValue().equals(b.bigIntegerValue());
    }
    if (a.isNumber() || b.isNumber()) {
      return a.isNumber() && b.isNumber() && a.doubleValue() == b.doubleValue();
    }
    if (a.isArray() && b.isArray()) {
      if (a.size() != b.size()) {
        return false;
      }
      for (int i = 0; i < a.size(); i++) {
        if (!sameJson(a.get(i), b.get(i))) {
          return false;
        }
      }
      return true;
    }
    if (a.isObject() && b.isObject()) {
      if (!keys(a).equals(keys(b))) {
        return false;
      }
      for (Map.Entry<String, JsonNode> field : a.properties()) {
        if (!sameJson(field.getValue(), b.get(field.getKey()))) {
          return false;
        }
      }
      return true;
    }
    return a.getNodeType() == b.getNodeType() && a.equals(b);
  }

  private static String render(Outcome.Value result) {
    if (result.secret() && !result.value().isNull()) {
      // User-data may hold secrets: no message shows it.
      return "the user-data (" + result.value().textValue().length() + " characters, not shown)";
    }
    return result.value().toString();
  }

  private static String describe(Outcome outcome) {
    if (outcome instanceof Outcome.Value value) {
      return render(value);
    }
    if (outcome instanceof Outcome.Failure failure) {
      ImdsException error = failure.error();
      return "error " + error.kind().wireName() + ": " + error.getMessage();
    }
    return ((Outcome.Refused) outcome).error().getMessage();
  }

  private static void checkCounters(JsonNode expected, JsonNode counters) {
    List<String> wrong = new ArrayList<>();
    for (Map.Entry<String, JsonNode> counter : expected.properties()) {
      String key = counter.getKey();
      if (key.equals("reads")) {
        for (Map.Entry<String, JsonNode> read : counter.getValue().properties()) {
          JsonNode got = counters.path("reads").get(read.getKey());
          if (got == null) {
            got = JSON.numberNode(0);
          }
          if (!sameJson(got, read.getValue())) {
            wrong.add("reads[" + read.getKey() + "]: expected " + read.getValue() + ", got " + got);
          }
        }
      } else if (!counters.has(key) || !sameJson(counters.get(key), counter.getValue())) {
        wrong.add(key + ": expected " + counter.getValue() + ", got " + counters.get(key));
      }
    }
    if (!wrong.isEmpty()) {
      throw new AssertionError("emulator counters " + counters + ": " + String.join("; ", wrong));
    }
  }
}
