package dev.imds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The loader, and the agreements between the Java and native halves. */
class NativeLoaderTest {
  @Test
  void theLibraryComesFromTheJarResources() {
    ImdsClient.nativeVersion();
    String from = NativeLoader.loadedFrom();
    assertTrue(from.startsWith("jar:/native/"), from);
    assertTrue(from.endsWith("/" + System.mapLibraryName(NativeLoader.LIBRARY)), from);
  }

  @Test
  void loadingIsIdempotentAcrossThreads() throws Exception {
    Thread[] threads = new Thread[8];
    for (int i = 0; i < threads.length; i++) {
      threads[i] = new Thread(NativeLoader::load);
      threads[i].start();
    }
    for (Thread thread : threads) {
      thread.join();
    }
    assertTrue(NativeLoader.loadedFrom() != null);
  }

  @Test
  void platformsAreNamedByOsAndArchitecture() {
    assertEquals("linux-x86_64", NativeLoader.platform("Linux", "amd64"));
    assertEquals("linux-aarch64", NativeLoader.platform("Linux", "aarch64"));
    assertEquals("macos-aarch64", NativeLoader.platform("Mac OS X", "aarch64"));
    assertEquals("macos-x86_64", NativeLoader.platform("Mac OS X", "x86_64"));
    assertEquals("windows-x86_64", NativeLoader.platform("Windows 11", "amd64"));
    assertNull(NativeLoader.platform("SunOS", "sparcv9"));
    assertNull(NativeLoader.platform("Linux", "riscv64"));
  }

  @Test
  void theMissingLibraryMessageNamesThePlatform() {
    String message =
        NativeLoader.missingMessage(
            "Linux", "riscv64", null, "/usr/lib", "no imds_jni in java.library.path");
    assertTrue(message.contains("Linux on riscv64"), message);
    assertTrue(message.contains("java.library.path (/usr/lib)"), message);
    assertTrue(message.contains(NativeLoader.PATH_PROPERTY), message);
  }

  @Test
  void javaOperationsMatchTheNativeOnes() {
    List<String> java = Arrays.stream(Native.Op.values()).map(Enum::name).toList();
    assertEquals(java, List.of(Native.operations()));
  }

  @Test
  void theMavenVersionIsTheCargoVersion() throws IOException {
    Path workspace = Path.of(System.getProperty("imds.workspace", ".."));
    Matcher matcher =
        Pattern.compile("(?m)^\\[workspace\\.package\\][^\\[]*?^version\\s*=\\s*\"([^\"]+)\"")
            .matcher(Files.readString(workspace.resolve("Cargo.toml")));
    assertTrue(matcher.find(), "no workspace version in Cargo.toml");
    assertEquals(matcher.group(1), ImdsClient.nativeVersion());
    assertEquals(matcher.group(1), System.getProperty("imds.project.version"), "pom.xml version");
  }
}
