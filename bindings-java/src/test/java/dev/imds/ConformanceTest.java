package dev.imds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imds.ConformanceRunner.Divergence;
import dev.imds.ConformanceRunner.ScenarioFormatError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every scenario of {@code tests/conformance/} through the Java API, one dynamic test per file
 * named after it, and the runner's own ability to fail and to refuse what it does not understand.
 */
class ConformanceTest {
  private static final Path SCENARIO_DIR =
      Path.of(System.getProperty("imds.workspace", "..")).resolve("tests").resolve("conformance");

  private static List<Path> scenarioFiles() throws IOException {
    try (Stream<Path> files = Files.list(SCENARIO_DIR)) {
      return files
          .filter(file -> file.getFileName().toString().endsWith(".json"))
          .sorted()
          .toList();
    }
  }

  private static String stem(Path file) {
    String name = file.getFileName().toString();
    return name.substring(0, name.length() - ".json".length());
  }

  @TestFactory
  Stream<DynamicTest> everyScenarioBehavesAsSpecified(@TempDir Path directory) throws IOException {
    List<Path> files = scenarioFiles();
    // No scenario found would pass by running nothing.
    assertTrue(files.size() >= 25, "scenarios missing from " + SCENARIO_DIR + ": " + files.size());
    ConformanceRunner runner =
        new ConformanceRunner(ConformanceRunner.KNOWN_DIVERGENCES, directory);
    return files.stream()
        .map(
            file ->
                dynamicTest(
                    stem(file),
                    file.toUri(),
                    () -> {
                      for (String note : runner.run(stem(file), ConformanceRunner.load(file))) {
                        System.out.println(note);
                      }
                    }));
  }

  @Test
  void knownDivergencesNameBuildStepsOfExistingScenarios(@TempDir Path directory)
      throws IOException {
    for (Map.Entry<String, Divergence> entry : ConformanceRunner.KNOWN_DIVERGENCES.entrySet()) {
      String scenario = entry.getKey().substring(0, entry.getKey().indexOf('/'));
      Path file = SCENARIO_DIR.resolve(scenario + ".json");
      assertTrue(Files.isRegularFile(file), "known divergence " + entry.getKey() + ": no " + file);
      // Validation refuses a divergence that names no build step setting its setting.
      new ConformanceRunner(Map.ofEntries(entry), directory)
          .validate(scenario, ConformanceRunner.load(file));
    }
  }

  @Test
  void timesAreProjectedAsTheCoreFormatsThem() {
    assertEquals(
        "2019-01-21T09:00:43Z", ConformanceRunner.time(Instant.parse("2019-01-21T09:00:43Z")));
    assertEquals(
        "2019-01-21T09:00:43.25Z",
        ConformanceRunner.time(Instant.parse("2019-01-21T09:00:43.250Z")));
    assertEquals(
        "2019-01-21T09:00:43.000000001Z",
        ConformanceRunner.time(Instant.parse("2019-01-21T09:00:43.000000001Z")));
    assertEquals(
        "2019-01-21T09:00:43Z", ConformanceRunner.time(Instant.parse("2019-01-21T11:00:43+02:00")));
  }

  @Test
  void valuesCompareAsTheReferenceRunnerComparesThem() {
    JsonNodeFactory json = JsonNodeFactory.instance;
    assertTrue(ConformanceRunner.sameJson(json.numberNode(1), json.numberNode(1L)));
    assertFalse(ConformanceRunner.sameJson(json.numberNode(1), json.numberNode(1.0)));
    assertFalse(ConformanceRunner.sameJson(json.booleanNode(true), json.numberNode(1)));
    assertFalse(ConformanceRunner.sameJson(json.nullNode(), json.textNode("null")));
    assertTrue(
        ConformanceRunner.sameJson(
            ConformanceRunner.parse("{\"a\":[1,\"x\",null],\"b\":{}}"),
            ConformanceRunner.parse("{\"b\":{},\"a\":[1,\"x\",null]}")));
    assertFalse(
        ConformanceRunner.sameJson(
            ConformanceRunner.parse("{\"a\":1}"), ConformanceRunner.parse("{\"a\":1,\"b\":2}")));
    assertFalse(
        ConformanceRunner.sameJson(
            ConformanceRunner.parse("[1,2]"), ConformanceRunner.parse("[2,1]")));
  }

  // --- the runner must be able to fail ----------------------------------------------------------

  private static ObjectNode scenario(String name) throws IOException {
    return (ObjectNode) ConformanceRunner.load(SCENARIO_DIR.resolve(name + ".json"));
  }

  private static ObjectNode expectOf(JsonNode scenario, int step) {
    return (ObjectNode) scenario.get("steps").get(step).get("expect");
  }

  private static ObjectNode brokenRegionValue() throws IOException {
    ObjectNode scenario = scenario("typed_calls_read_the_default_instance");
    for (JsonNode step : scenario.get("steps")) {
      if (step.path("call").asText().equals("region")) {
        ((ObjectNode) step.get("expect")).put("value", "eu-west-1");
      }
    }
    return scenario;
  }

  private static ObjectNode brokenErrorKind() throws IOException {
    ObjectNode scenario = scenario("not_found_is_not_retried");
    expectOf(scenario, 0).put("error", "timeout");
    return scenario;
  }

  private static ObjectNode brokenErrorStatus() throws IOException {
    ObjectNode scenario = scenario("not_found_is_not_retried");
    expectOf(scenario, 0).put("status", 410);
    return scenario;
  }

  private static ObjectNode brokenCounter() throws IOException {
    ObjectNode scenario = scenario("token_is_fetched_once_and_reused");
    ((ObjectNode) scenario.get("counters")).put("token_puts", 2);
    return scenario;
  }

  private static ObjectNode brokenReadCount() throws IOException {
    ObjectNode scenario = scenario("server_error_burst_is_retried");
    ((ObjectNode) scenario.get("counters").get("reads")).put("503", 3);
    return scenario;
  }

  private static ObjectNode brokenMessage() throws IOException {
    ObjectNode scenario = scenario("unreachable_when_nothing_listens");
    expectOf(scenario, 1).put("message_contains", "forgotten");
    return scenario;
  }

  private static ObjectNode brokenUserData() throws IOException {
    ObjectNode scenario = scenario("typed_calls_read_the_default_instance");
    ArrayNode steps = (ArrayNode) scenario.get("steps");
    for (JsonNode step : steps) {
      if (step.path("call").asText().equals("user_data")) {
        ((ObjectNode) step.get("expect")).put("value", "#!/bin/sh\n");
      }
    }
    return scenario;
  }

  private static Divergence ttlDivergence() {
    return new Divergence("token_ttl", "a divergence this test declares");
  }

  static Stream<Arguments> scenariosTheClientDoesNotMeet() throws IOException {
    return Stream.of(
        Arguments.of("broken-region-value", brokenRegionValue(), Map.of(), "expectation value"),
        Arguments.of(
            "broken-error-kind",
            brokenErrorKind(),
            Map.of(),
            "expected error timeout, got error not_found"),
        Arguments.of(
            "broken-error-status", brokenErrorStatus(), Map.of(), "expected status 410, got 404"),
        Arguments.of(
            "broken-message", brokenMessage(), Map.of(), "the message lacks \"forgotten\""),
        Arguments.of("broken-counter", brokenCounter(), Map.of(), "token_puts: expected 2, got 1"),
        Arguments.of(
            "broken-read-count", brokenReadCount(), Map.of(), "reads[503]: expected 3, got 2"),
        Arguments.of(
            "success-expected-to-fail",
            ConformanceRunner.parse(
                "{\"steps\":[{\"call\":\"region\",\"expect\":{\"error\":\"not_found\"}}]}"),
            Map.of(),
            "expected error not_found, got \"us-east-1\""),
        Arguments.of(
            "failure-expected-to-succeed",
            ConformanceRunner.parse(
                "{\"steps\":[{\"call\":\"get_metadata\",\"args\":[\"nothing-here\"],"
                    + "\"expect\":{}}]}"),
            Map.of(),
            "unexpected error not_found"),
        Arguments.of(
            "wrong-same-field",
            ConformanceRunner.parse(
                "{\"steps\":[{\"call\":\"credentials\",\"expect\":{\"save\":{\"role\":\"r\"}}},"
                    + "{\"call\":\"credentials\",\"expect\":{\"same\":{\"access_key_id\":\"r\"}}}]}"),
            Map.of(),
            "expectation same"),
        Arguments.of(
            "same-on-an-absent-field",
            ConformanceRunner.parse(
                "{\"steps\":[{\"call\":\"credentials\",\"expect\":{\"save\":{\"role\":\"r\"}}},"
                    + "{\"call\":\"credentials\",\"expect\":{\"differs\":{\"colour\":\"r\"}}}]}"),
            Map.of(),
            "the result has no field colour"),
        Arguments.of(
            "setter-refusal-without-a-divergence",
            ConformanceRunner.parse(
                "{\"steps\":[{\"build\":{\"settings\":{\"token_ttl\":0}},"
                    + "\"expect\":{\"error\":\"invalid_input\"}}]}"),
            Map.of(),
            "expected error invalid_input, got the builder's setter for token_ttl threw"),
        Arguments.of(
            "known-divergence-that-passes-now",
            ConformanceRunner.parse(
                "{\"steps\":[{\"build\":{\"settings\":{\"token_ttl\":5,\"endpoint_mode\":\"IPv5\"}},"
                    + "\"expect\":{\"error\":\"invalid_input\"}}]}"),
            Map.of("scenario/step 0", ttlDivergence()),
            "passes now: remove it from KNOWN_DIVERGENCES"),
        Arguments.of(
            "known-divergence-failing-another-way",
            ConformanceRunner.parse(
                "{\"steps\":[{\"build\":{\"settings\":{\"token_ttl\":5}},"
                    + "\"expect\":{\"error\":\"invalid_input\"}}]}"),
            Map.of("scenario/step 0", ttlDivergence()),
            "expected error invalid_input, got \"built\""),
        Arguments.of(
            "main-client-refused",
            ConformanceRunner.parse(
                "{\"client\":{\"settings\":{\"endpoint_mode\":\"IPv5\"}},"
                    + "\"steps\":[{\"call\":\"region\"}]}"),
            Map.of(),
            "the scenario's client did not build: invalid_input"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenariosTheClientDoesNotMeet")
  void runnerFailsAScenarioTheClientDoesNotMeet(
      String id,
      JsonNode scenario,
      Map<String, Divergence> divergences,
      String complaint,
      @TempDir Path directory) {
    AssertionError failure =
        assertThrows(
            AssertionError.class,
            () -> new ConformanceRunner(divergences, directory).run("scenario", scenario));
    assertTrue(failure.getMessage().contains(complaint), failure.getMessage());
  }

  @Test
  void userDataNeverAppearsInAFailure(@TempDir Path directory) throws IOException {
    ObjectNode scenario = brokenUserData();
    AssertionError failure =
        assertThrows(
            AssertionError.class,
            () -> new ConformanceRunner(Map.of(), directory).run("scenario", scenario));
    assertTrue(failure.getMessage().contains("not shown"), failure.getMessage());
    assertFalse(failure.getMessage().contains("hello from user-data"), failure.getMessage());
  }

  // --- and refuse what it does not understand, before starting anything -------------------------

  static Stream<Arguments> scenariosTheRunnerDoesNotUnderstand() {
    return Stream.of(
        Arguments.of("unknown-step-type", "{\"steps\":[{\"wait\":1}]}", "unknown step type"),
        Arguments.of(
            "unknown-step-key", "{\"steps\":[{\"call\":\"region\",\"retries\":2}]}", "unknown key"),
        Arguments.of(
            "unknown-call", "{\"steps\":[{\"call\":\"instance_colour\"}]}", "unknown call"),
        Arguments.of(
            "missing-argument", "{\"steps\":[{\"call\":\"get_metadata\"}]}", "takes 1 argument"),
        Arguments.of(
            "argument-not-a-string",
            "{\"steps\":[{\"call\":\"get_metadata\",\"args\":[1]}]}",
            "must be a string"),
        Arguments.of(
            "unknown-expectation",
            "{\"steps\":[{\"call\":\"region\",\"expect\":{\"equals\":\"x\"}}]}",
            "unknown key"),
        Arguments.of(
            "status-without-error",
            "{\"steps\":[{\"call\":\"region\",\"expect\":{\"status\":404}}]}",
            "without `error`"),
        Arguments.of(
            "unknown-error-kind",
            "{\"steps\":[{\"call\":\"region\",\"expect\":{\"error\":\"exploded\"}}]}",
            "unknown error kind"),
        Arguments.of("zero-repeat", "{\"steps\":[{\"call\":\"region\",\"repeat\":0}]}", "repeat"),
        Arguments.of(
            "comparison-with-nothing-saved",
            "{\"steps\":[{\"call\":\"region\",\"expect\":{\"same\":{\"x\":\"y\"}}}]}",
            "nothing was saved"),
        Arguments.of(
            "comparison-before-the-save",
            "{\"steps\":[{\"call\":\"credentials\",\"expect\":{\"same\":{\"role\":\"r\"}}},"
                + "{\"call\":\"credentials\",\"expect\":{\"save\":{\"role\":\"r\"}}}]}",
            "nothing was saved"),
        Arguments.of(
            "unknown-admin-key",
            "{\"steps\":[{\"admin\":{\"method\":\"GET\",\"path\":\"/state\",\"x\":1}}]}",
            "unknown key"),
        Arguments.of("sleep-not-a-number", "{\"steps\":[{\"sleep\":\"1\"}]}", "sleep"),
        Arguments.of(
            "unknown-setting",
            "{\"steps\":[{\"build\":{\"settings\":{\"retries\":3}}}]}",
            "unknown setting"),
        Arguments.of(
            "setting-of-the-wrong-type",
            "{\"steps\":[{\"build\":{\"settings\":{\"timeout\":true}}}]}",
            "number of seconds"),
        Arguments.of(
            "unknown-build-key", "{\"steps\":[{\"build\":{\"hooks\":[]}}]}", "unknown key"),
        Arguments.of(
            "unknown-endpoint-source",
            "{\"client\":{\"endpoint_from\":\"dns\"},\"steps\":[{\"call\":\"region\"}]}",
            "endpoint_from"),
        Arguments.of(
            "unknown-client-key",
            "{\"client\":{\"retries\":1},\"steps\":[{\"call\":\"region\"}]}",
            "unknown key"),
        Arguments.of(
            "unknown-emulator-key",
            "{\"emulator\":{\"tags\":{}},\"steps\":[{\"call\":\"region\"}]}",
            "unknown key"),
        Arguments.of(
            "user-data-not-null",
            "{\"emulator\":{\"user_data\":\"x\"},\"steps\":[{\"call\":\"region\"}]}",
            "only be null"),
        Arguments.of(
            "unknown-counter",
            "{\"steps\":[{\"call\":\"region\"}],\"counters\":{\"tokens\":1}}",
            "unknown key"),
        Arguments.of(
            "unknown-scenario-key",
            "{\"steps\":[{\"call\":\"region\"}],\"teardown\":[]}",
            "unknown key"),
        Arguments.of("description-not-text", "{\"description\":1,\"steps\":[]}", "description"),
        Arguments.of("no-steps", "{\"steps\":[]}", "non-empty"),
        Arguments.of(
            "duplicate-key", "{\"steps\":[{\"call\":\"region\"}],\"steps\":[]}", "not JSON"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenariosTheRunnerDoesNotUnderstand")
  void runnerRefusesAScenarioItDoesNotUnderstand(
      String id, String scenario, String complaint, @TempDir Path directory) {
    ConformanceRunner runner = new ConformanceRunner(Map.of(), directory);
    ScenarioFormatError error =
        assertThrows(
            ScenarioFormatError.class,
            () -> runner.run("scenario", ConformanceRunner.parse(scenario)));
    assertTrue(error.getMessage().contains(complaint), error.getMessage());
  }

  @Test
  void aKnownDivergenceMustNameABuildStepThatSetsItsSetting(@TempDir Path directory) {
    ConformanceRunner runner =
        new ConformanceRunner(Map.of("scenario/step 0", ttlDivergence()), directory);
    for (String scenario :
        List.of(
            "{\"steps\":[{\"call\":\"region\"}]}",
            "{\"steps\":[{\"build\":{\"settings\":{\"timeout\":1}}}]}",
            "{\"steps\":[{\"sleep\":0},{\"build\":{\"settings\":{\"token_ttl\":0}}}]}")) {
      ScenarioFormatError error =
          assertThrows(
              ScenarioFormatError.class,
              () -> runner.run("scenario", ConformanceRunner.parse(scenario)),
              scenario);
      assertTrue(
          error.getMessage().contains("names no build step that sets token_ttl"),
          error.getMessage());
    }
  }
}
