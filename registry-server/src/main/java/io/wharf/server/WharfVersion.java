package io.wharf.server;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * Wharf's version, as the build wrote it ({@code project.version} into
 * {@code io/wharf/server/wharf-version.properties}): the one place the command line's
 * {@code --version}, the OpenAPI document and anything else that names the version read it from.
 * A server jar's manifest does not carry it (the shaded jar's manifest is the shade plugin's), so
 * this resource is the source for the jar, the image and an embedding application alike.
 */
public final class WharfVersion {
  /** What {@link #current()} answers outside a Maven build (classes compiled by an IDE). */
  public static final String DEVELOPMENT = "development";
  private static final String RESOURCE = "io/wharf/server/wharf-version.properties";
  private static final String CURRENT = read(WharfVersion.class.getClassLoader());

  private WharfVersion() {
  }

  /**
   * The version of the Wharf classes loaded, e.g. {@code 0.2.0} or {@code 0.3.0-SNAPSHOT}.
   *
   * @return the build's version, or {@value #DEVELOPMENT} outside a Maven build
   */
  public static String current() {
    return CURRENT;
  }

  static String read(ClassLoader loader) {
    try (InputStream in = loader.getResourceAsStream(RESOURCE)) {
      if (in != null) {
        Properties p = new Properties();
        p.load(in);
        String v = p.getProperty("version");
        if (v != null && !v.isBlank() && !v.startsWith("${")) { // unfiltered: not built by Maven
          return v.trim();
        }
      }
    } catch (IOException e) {
      // a resource that cannot be read is no version
    }
    return DEVELOPMENT;
  }
}
