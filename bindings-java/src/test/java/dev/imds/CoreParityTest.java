package dev.imds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The public methods of the core's clients, read from its Rust source, each have a Java
 * counterpart: a method added to the core fails this test until {@link ImdsClient} has it too.
 */
class CoreParityTest {
  /**
   * Core methods that are not client methods in Java: the constructors are {@link
   * ImdsClient#builder()}, {@code async_client} is the {@code ...Async} twins, and {@code run} is
   * the entry point the bindings call through.
   */
  private static final Set<String> NOT_A_CLIENT_METHOD =
      Set.of("builder", "from_env", "with_config", "async_client", "run");

  private static final Pattern IMPL_CLIENT = Pattern.compile("(?ms)^impl Client \\{\\n(.*?)^\\}");
  private static final Pattern PUBLIC_FN = Pattern.compile("(?m)^    pub (async )?fn (\\w+)\\b");

  /** Method name to whether it is async (does I/O) in the core. */
  private static Map<String, Boolean> coreMethods() throws IOException {
    Path sources = Path.of(System.getProperty("imds.workspace", "..")).resolve("core/src");
    Map<String, Boolean> methods = new TreeMap<>();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(sources)) {
      files = walk.filter(p -> p.toString().endsWith(".rs")).sorted().toList();
    }
    for (Path file : files) {
      Matcher block = IMPL_CLIENT.matcher(Files.readString(file));
      while (block.find()) {
        Matcher fn = PUBLIC_FN.matcher(block.group(1));
        while (fn.find()) {
          methods.merge(fn.group(2), fn.group(1) != null, Boolean::logicalOr);
        }
      }
    }
    // A parse that finds nothing would make the comparison vacuous.
    assertTrue(
        methods.keySet().containsAll(List.of("get_metadata", "role_name", "clear_caches")),
        methods::toString);
    methods.keySet().removeAll(NOT_A_CLIENT_METHOD);
    return methods;
  }

  private static String camel(String snake) {
    StringBuilder out = new StringBuilder();
    boolean upper = false;
    for (char c : snake.toCharArray()) {
      if (c == '_') {
        upper = true;
      } else {
        out.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return out.toString();
  }

  @Test
  void everyPublicCoreClientMethodHasAJavaMethodAndEachCallAnAsyncTwin() throws IOException {
    Set<String> java =
        Arrays.stream(ImdsClient.class.getMethods())
            .filter(m -> m.getDeclaringClass() == ImdsClient.class)
            .filter(m -> !Modifier.isStatic(m.getModifiers()))
            .map(Method::getName)
            .collect(Collectors.toSet());
    Set<String> missing = new TreeSet<>();
    coreMethods()
        .forEach(
            (name, isAsync) -> {
              String method = camel(name);
              if (!java.contains(method)) {
                missing.add(method);
              }
              if (isAsync && !java.contains(method + "Async")) {
                missing.add(method + "Async");
              }
            });
    assertEquals(Set.of(), missing, "ImdsClient lacks these methods of the core's client");
  }

  @Test
  void namesAreCamelCased() {
    assertEquals("verifiedIdentityDocumentPkcs7", camel("verified_identity_document_pkcs7"));
    assertEquals("roleName", camel("role_name"));
  }
}
