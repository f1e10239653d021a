package dev.imds;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Loads the native library once per class loader, thread-safely.
 *
 * <p>Where it looks, in order:
 *
 * <ol>
 *   <li>the file named by the system property {@value #PATH_PROPERTY}, when set;
 *   <li>the jar: {@code native/<os>-<arch>/<library file>}, copied to a private temporary directory
 *       (owner-only on POSIX), loaded, and deleted where the platform allows;
 *   <li>{@code java.library.path}, through {@link System#loadLibrary}.
 * </ol>
 *
 * <p>When nothing fits, it throws {@link UnsatisfiedLinkError} naming the platform and every place
 * it looked; later attempts throw the same error again.
 */
final class NativeLoader {
  /** The library's base name, as in {@code System.loadLibrary}. */
  static final String LIBRARY = "imds_jni";

  /** A system property naming a library file to load instead of the one in the jar. */
  static final String PATH_PROPERTY = "dev.imds.native.path";

  private static final Object LOCK = new Object();
  private static volatile String loadedFrom;
  private static UnsatisfiedLinkError failure;

  private NativeLoader() {}

  /** Loads the library unless it is loaded already. */
  static void load() {
    if (loadedFrom != null) {
      return;
    }
    synchronized (LOCK) {
      if (loadedFrom != null) {
        return;
      }
      if (failure != null) {
        UnsatisfiedLinkError again = new UnsatisfiedLinkError(failure.getMessage());
        again.initCause(failure);
        throw again;
      }
      try {
        loadedFrom = loadOnce();
      } catch (UnsatisfiedLinkError e) {
        failure = e;
        throw e;
      }
    }
  }

  /** Where the library was loaded from, or null before it was. */
  static String loadedFrom() {
    return loadedFrom;
  }

  /**
   * The platform directory for an {@code os.name} and {@code os.arch}, such as {@code
   * linux-x86_64}, or null for a platform the build does not know.
   */
  static String platform(String osName, String osArch) {
    String name = osName.toLowerCase(Locale.ROOT);
    String os;
    if (name.startsWith("linux")) {
      os = "linux";
    } else if (name.startsWith("mac") || name.startsWith("darwin")) {
      os = "macos";
    } else if (name.startsWith("windows")) {
      os = "windows";
    } else {
      return null;
    }
    String arch;
    switch (osArch.toLowerCase(Locale.ROOT)) {
      case "amd64":
      case "x86_64":
        arch = "x86_64";
        break;
      case "aarch64":
      case "arm64":
        arch = "aarch64";
        break;
      default:
        return null;
    }
    return os + "-" + arch;
  }

  /** The message of the error thrown when no library fits. */
  static String missingMessage(
      String osName, String osArch, String resource, String libraryPath, String cause) {
    String where =
        resource == null
            ? "the jar carries no library for it"
            : "the jar has no " + resource.substring(1);
    return "the IMDS client has no native library for this platform ("
        + osName
        + " on "
        + osArch
        + "): "
        + where
        + ", and "
        + System.mapLibraryName(LIBRARY)
        + " is not on java.library.path ("
        + libraryPath
        + "): "
        + cause
        + "; build the jar on this platform (mvn package) or set -D"
        + PATH_PROPERTY
        + " to the library file";
  }

  private static String loadOnce() {
    String explicit = System.getProperty(PATH_PROPERTY);
    if (explicit != null && !explicit.isEmpty()) {
      System.load(Path.of(explicit).toAbsolutePath().toString());
      return explicit;
    }

    String osName = System.getProperty("os.name", "unknown");
    String osArch = System.getProperty("os.arch", "unknown");
    String platform = platform(osName, osArch);
    String resource =
        platform == null ? null : "/native/" + platform + "/" + System.mapLibraryName(LIBRARY);
    if (resource != null && NativeLoader.class.getResource(resource) != null) {
      loadFromJar(resource);
      return "jar:" + resource;
    }

    try {
      System.loadLibrary(LIBRARY);
      return "java.library.path";
    } catch (UnsatisfiedLinkError e) {
      UnsatisfiedLinkError error =
          new UnsatisfiedLinkError(
              missingMessage(
                  osName,
                  osArch,
                  resource,
                  System.getProperty("java.library.path", ""),
                  e.getMessage()));
      error.initCause(e);
      throw error;
    }
  }

  private static void loadFromJar(String resource) {
    Path directory = null;
    Path file = null;
    try {
      // createTempDirectory makes an owner-only directory on POSIX, so no other user can
      // swap the file between writing and loading it.
      directory = Files.createTempDirectory("imds-jni-");
      file = directory.resolve(System.mapLibraryName(LIBRARY));
      try (InputStream in = NativeLoader.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IOException("resource " + resource + " vanished");
        }
        Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      }
      System.load(file.toString());
    } catch (IOException e) {
      UnsatisfiedLinkError error =
          new UnsatisfiedLinkError(
              "could not extract the IMDS native library " + resource + ": " + e.getMessage());
      error.initCause(e);
      throw error;
    } finally {
      deleteOrDeferDeletion(file);
      deleteOrDeferDeletion(directory);
    }
  }

  /**
   * Deletes the extracted copy: a loaded library stays mapped on Linux and macOS, so it can go at
   * once; Windows keeps it locked, so there it goes when the JVM exits (or never, if the JVM still
   * holds it then).
   */
  private static void deleteOrDeferDeletion(Path path) {
    if (path == null) {
      return;
    }
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      path.toFile().deleteOnExit();
    }
  }
}
