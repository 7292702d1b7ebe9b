package io.wharf.server.cli;

import io.wharf.server.auth.PasswordHashes;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code java -jar wharf.jar hash-password}: prints the bcrypt hash of a password for
 * {@code security.users[].passwordHash} (or, with {@code --user}, an htpasswd line).
 *
 * <pre>
 * $ java -jar wharf.jar hash-password            # asks twice, without echo
 * $ printf '%s' "$PW" | java -jar wharf.jar hash-password --user ci >> users.htpasswd
 * </pre>
 */
@Command(name = "hash-password", mixinStandardHelpOptions = true,
    description = {"Print the bcrypt hash of a password, for security.users[].passwordHash or an htpasswd file.",
        "Reads the password from the terminal (asked twice, not echoed) or, when stdin is not a terminal,"
            + " from the first line of stdin."})
public final class HashPassword implements Callable<Integer> {
  @Option(names = "--cost", paramLabel = "N", defaultValue = "" + PasswordHashes.DEFAULT_COST,
      description = "bcrypt cost, 4-31: each step doubles the work (default ${DEFAULT-VALUE}).")
  int cost;

  @Option(names = "--user", paramLabel = "NAME", description = "Print an htpasswd line NAME:HASH.")
  String user;

  @Spec
  CommandSpec spec;

  /** Where the password comes from when there is no terminal; tests replace it. */
  static InputStream stdin = System.in;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (user != null && (user.isEmpty() || user.contains(":"))) {
      err.println("wharf: --user: a user name is not empty and has no ':'");
      return 2;
    }
    char[] password = read(err);
    if (password == null) {
      return 2;
    }
    try {
      String hash = PasswordHashes.hash(password, cost);
      out.println(user == null ? hash : user + ":" + hash);
      out.flush();
      return 0;
    } catch (IllegalArgumentException e) {
      err.println("wharf: " + e.getMessage());
      return 2;
    } finally {
      Arrays.fill(password, '\0');
    }
  }

  private static char[] read(PrintWriter err) throws IOException {
    Console console = stdin == System.in ? System.console() : null;
    if (console != null) {
      char[] first = console.readPassword("Password: ");
      char[] second = console.readPassword("Repeat: ");
      if (first == null || second == null) {
        err.println("wharf: no password given");
        return null;
      }
      boolean same = Arrays.equals(first, second);
      Arrays.fill(second, '\0');
      if (!same) {
        Arrays.fill(first, '\0');
        err.println("wharf: the two passwords differ");
        return null;
      }
      return first;
    }
    BufferedReader in = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8));
    String line = in.readLine();
    if (line == null || line.isEmpty()) {
      err.println("wharf: no password on stdin");
      return null;
    }
    return line.toCharArray();
  }
}
