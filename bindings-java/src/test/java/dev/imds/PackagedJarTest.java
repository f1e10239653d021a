package dev.imds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;

/**
 * The jar {@code mvn package} built, as a user gets it: it carries the native library where the
 * loader looks for it, and the library loads from it alone. Runs in the {@code verify} phase, after
 * the jar exists (the {@code packaged-jar} execution in {@code pom.xml}); the other tests run
 * against {@code target/classes} and would not notice a jar without its library.
 */
class PackagedJarTest {
  private static Path jar() {
    String path = System.getProperty("imds.jar");
    assertNotNull(path, "the imds.jar system property names the packaged jar");
    Path jar = Path.of(path);
    assertTrue(Files.isRegularFile(jar), "no jar at " + jar + ": run mvn package first");
    return jar;
  }

  private static String entry() {
    String platform =
        NativeLoader.platform(System.getProperty("os.name"), System.getProperty("os.arch"));
    // A platform the loader has no directory for gets no library in the jar, by design.
    assumeTrue(platform != null, "no native directory for this platform");
    return "native/" + platform + "/" + System.mapLibraryName(NativeLoader.LIBRARY);
  }

  @Test
  void theJarCarriesTheNativeLibraryWhereTheLoaderLooks() throws IOException {
    String name = entry();
    try (JarFile jar = new JarFile(jar().toFile())) {
      ZipEntry library = jar.getEntry(name);
      assertNotNull(library, "the jar has no " + name);
      assertTrue(library.getSize() > 0, name + " is empty");
    }
  }

  @Test
  void aJvmWithOnlyTheJarLoadsTheLibraryFromIt() throws Exception {
    String name = entry();
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    // The probe class comes from the test classes; every class of dev.imds it uses, and the
    // library, from the jar, since target/classes is not on this class path.
    String testClasses = System.getProperty("imds.test.classes");
    assertNotNull(testClasses, "the imds.test.classes system property names the test classes");
    String classPath = jar() + File.pathSeparator + testClasses;
    Process process =
        new ProcessBuilder(java.toString(), "-cp", classPath, PackagedJarProbe.class.getName())
            .redirectErrorStream(true)
            .start();
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the probe JVM did not exit");
    assertEquals(0, process.exitValue(), output);
    List<String> lines = output.lines().toList();
    assertEquals(List.of("jar:/" + name, ImdsClient.nativeVersion()), lines, output);
  }
}
