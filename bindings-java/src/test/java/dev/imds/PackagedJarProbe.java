package dev.imds;

/**
 * Run by {@link PackagedJarTest} in a JVM whose class path holds the packaged jar: prints where the
 * native library was loaded from, then the native core's version.
 */
final class PackagedJarProbe {
  private PackagedJarProbe() {}

  public static void main(String[] args) {
    String version = ImdsClient.nativeVersion();
    System.out.println(NativeLoader.loadedFrom());
    System.out.println(version);
  }
}
