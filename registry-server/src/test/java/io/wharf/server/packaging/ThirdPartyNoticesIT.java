package io.wharf.server.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Properties;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * The runnable jar says under which license each library it bundles comes: every library whose
 * Maven coordinates the shaded {@code wharf.jar} carries ({@code META-INF/maven/G/A/pom.properties})
 * is listed in {@code THIRD-PARTY.txt} at that version, and the jar holds Wharf's LICENSE, the
 * merged NOTICE and THIRD-PARTY.txt. A new or upgraded dependency fails here until the file is
 * updated (docs/releasing.md).
 */
class ThirdPartyNoticesIT {
  private static final Path JAR = Path.of(System.getProperty("wharf.jar", "target/wharf.jar"));

  @Test
  void everyBundledLibrary_isListedInThirdPartyTxt_atItsVersion() throws IOException {
    String notices;
    List<String> bundled = new ArrayList<>();
    try (ZipFile jar = new ZipFile(JAR.toFile())) {
      notices = read(jar, "META-INF/THIRD-PARTY.txt");
      Enumeration<? extends ZipEntry> entries = jar.entries();
      while (entries.hasMoreElements()) {
        ZipEntry e = entries.nextElement();
        if (e.getName().startsWith("META-INF/maven/") && e.getName().endsWith("/pom.properties")) {
          Properties p = new Properties();
          try (InputStream in = jar.getInputStream(e)) {
            p.load(in);
          }
          if (!"io.wharf".equals(p.getProperty("groupId"))) {
            bundled.add(p.getProperty("groupId") + ":" + p.getProperty("artifactId") + ":" + p.getProperty("version"));
          }
        }
      }
      assertThat(read(jar, "META-INF/LICENSE")).contains("Apache License", "Version 2.0, January 2004");
      String notice = read(jar, "META-INF/NOTICE");
      assertThat(notice.lines().filter(l -> !l.isBlank()).findFirst()).as("NOTICE's first line").hasValue("Wharf");
      assertThat(notice).contains("The Apache Software Foundation");
    }
    // the jar as built is the file in the checkout (the shade plugin copies it in)
    assertThat(notices).isEqualTo(Files.readString(JAR.getParent().resolve("../../THIRD-PARTY.txt").normalize()));
    assertThat(bundled).as("libraries in wharf.jar").hasSizeGreaterThan(50);
    List<String> listed = notices.lines().map(String::strip).map(l -> l.split("\\s+")[0]).toList();
    assertThat(listed).as("THIRD-PARTY.txt").containsAll(bundled);
  }

  private static String read(ZipFile jar, String name) throws IOException {
    ZipEntry e = jar.getEntry(name);
    assertThat(e).as("%s in %s", name, JAR).isNotNull();
    try (InputStream in = jar.getInputStream(e)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
