package io.wharf.testkit;

import io.wharf.server.routing.Route;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Injects the {@link Faults} of a test registry: sits between the {@link JournalFilter} and
 * {@code RegistryServlet}, answers instead of the registry (failures, rate limits), delays, or
 * rewrites the body on its way out (cut off, corrupted).
 */
final class FaultFilter implements Filter {
  private static final String RATE_LIMIT_WINDOW = ";w=21600"; // Docker Hub's 6 h window

  private final Faults faults;

  FaultFilter(Faults faults) {
    this.faults = faults;
  }

  @Override
  public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    HttpServletRequest req = (HttpServletRequest) request;
    HttpServletResponse resp = (HttpServletResponse) response;
    Endpoint endpoint = endpoint(req);
    String method = req.getMethod();

    Duration delay = faults.delay(endpoint);
    if (!delay.isZero()) {
      note(req, "latency " + delay.toMillis() + " ms");
      sleep(delay);
    }
    int status = faults.takeFailure(endpoint);
    if (status != 0) {
      note(req, "injected " + status);
      error(resp, status, code(status), "fault injected by the Wharf test kit", "HEAD".equals(method));
      return;
    }
    Integer limit = faults.pullLimit();
    boolean manifest = endpoint == Endpoint.MANIFEST;
    boolean pull = manifest && "GET".equals(method);
    if (manifest && limit != null) {
      resp.setHeader("ratelimit-limit", limit + RATE_LIMIT_WINDOW);
      resp.setHeader("ratelimit-remaining", Math.max(0, limit - faults.pulls()) + RATE_LIMIT_WINDOW);
    }
    if (pull && faults.pullLimitReached()) {
      note(req, "rate limited after " + limit + " pulls");
      resp.setHeader("Retry-After", Long.toString(faults.retryAfter().toSeconds()));
      resp.setHeader("ratelimit-remaining", "0" + RATE_LIMIT_WINDOW);
      error(resp, 429, "TOOMANYREQUESTS", "You have reached your pull rate limit of " + limit
          + " pulls (fake upstream of the Wharf test kit).", false);
      return;
    }

    HttpServletResponse out = resp;
    if ("GET".equals(method) && endpoint == Endpoint.BLOB) {
      long cut = faults.cutOffAfter();
      if (cut >= 0) {
        note(req, "body cut off after " + cut + " bytes");
        out = new RewritingResponse(resp, new CutOff(cut));
      } else if (faults.corruptBlobsOn()) {
        note(req, "blob body corrupted");
        out = new RewritingResponse(resp, new FlipFirstByte());
      }
    } else if (pull && faults.corruptManifestsOn()) {
      note(req, "manifest body corrupted");
      out = new RewritingResponse(resp, new ChangeFirstDigest());
    }
    chain.doFilter(req, out);
    if (pull && resp.getStatus() / 100 == 2) {
      faults.countPull();
    }
  }

  private static Endpoint endpoint(HttpServletRequest req) {
    String path = (req.getServletPath() == null ? "" : req.getServletPath())
        + (req.getPathInfo() == null ? "" : req.getPathInfo());
    if (path.equals("/v2") || path.equals("/v2/")) {
      return Endpoint.BASE;
    }
    return path.startsWith("/v2/") ? Endpoint.of(Route.parse(path.substring(4)).kind()) : Endpoint.UNKNOWN;
  }

  private static void note(HttpServletRequest req, String fault) {
    Object before = req.getAttribute(JournalFilter.FAULT_ATTRIBUTE);
    req.setAttribute(JournalFilter.FAULT_ATTRIBUTE, before == null ? fault : before + ", " + fault);
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String code(int status) {
    return switch (status) {
      case 401 -> "UNAUTHORIZED";
      case 403 -> "DENIED";
      case 404 -> "NAME_UNKNOWN";
      case 429 -> "TOOMANYREQUESTS";
      case 503 -> "UNAVAILABLE";
      default -> "UNKNOWN";
    };
  }

  private static void error(HttpServletResponse resp, int status, String code, String message, boolean head)
      throws IOException {
    byte[] body = ("{\"errors\":[{\"code\":\"" + code + "\",\"message\":\"" + message + "\"}]}")
        .getBytes(StandardCharsets.UTF_8);
    resp.setStatus(status);
    resp.setHeader("Docker-Distribution-API-Version", "registry/2.0");
    resp.setContentType("application/json");
    resp.setContentLength(body.length);
    if (!head) {
      resp.getOutputStream().write(body);
    }
  }

  /** Rewrites body bytes on their way out; {@code offset} is the body position of {@code b[off]}. */
  private interface Rewrite {
    /** Returns how many of {@code len} bytes to pass on (after changing them in place if it wants). */
    int apply(byte[] b, int off, int len, long offset);

    /** Whether to flush once {@code position} bytes of the body have been handed in. */
    default boolean flushAt(long position) {
      return false;
    }
  }

  /**
   * Passes the first {@code limit} bytes and swallows the rest. The stream flushes once the limit
   * is reached, so the status, headers and those bytes are on the wire; at the end Jetty finds
   * less content than {@code Content-Length} promised on a committed response and drops the
   * connection, which is what a client of a cut-off download sees.
   */
  private record CutOff(long limit) implements Rewrite {
    @Override
    public int apply(byte[] b, int off, int len, long offset) {
      return (int) Math.max(0, Math.min(len, limit - offset));
    }

    @Override
    public boolean flushAt(long position) {
      return position >= limit;
    }
  }

  private static final class FlipFirstByte implements Rewrite {
    @Override
    public int apply(byte[] b, int off, int len, long offset) {
      if (offset == 0 && len > 0) {
        b[off] = (byte) ~b[off];
      }
      return len;
    }
  }

  /** Changes the hex digit after the first {@code sha256:} (manifests are written in one piece). */
  private static final class ChangeFirstDigest implements Rewrite {
    private boolean done;

    @Override
    public int apply(byte[] b, int off, int len, long offset) {
      if (!done) {
        String s = new String(b, off, len, StandardCharsets.ISO_8859_1);
        int i = s.indexOf("sha256:");
        if (i >= 0 && i + 7 < len) {
          int p = off + i + 7;
          b[p] = (byte) (b[p] == '0' ? '1' : '0');
          done = true;
        }
      }
      return len;
    }
  }

  private static final class RewritingResponse extends HttpServletResponseWrapper {
    private final Rewrite rewrite;
    private ServletOutputStream stream;

    RewritingResponse(HttpServletResponse resp, Rewrite rewrite) {
      super(resp);
      this.rewrite = rewrite;
    }

    @Override
    public ServletOutputStream getOutputStream() throws IOException {
      if (stream == null) {
        stream = new RewritingStream(super.getOutputStream(), rewrite);
      }
      return stream;
    }
  }

  private static final class RewritingStream extends ServletOutputStream {
    private final ServletOutputStream out;
    private final Rewrite rewrite;
    private long position;
    private boolean flushed;

    RewritingStream(ServletOutputStream out, Rewrite rewrite) {
      this.out = out;
      this.rewrite = rewrite;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      byte[] copy = java.util.Arrays.copyOfRange(b, off, off + len); // never change the caller's buffer
      int n = rewrite.apply(copy, 0, len, position);
      position += len;
      if (n > 0) {
        out.write(copy, 0, n);
      }
      if (!flushed && rewrite.flushAt(position)) {
        flushed = true;
        out.flush();
      }
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }

    @Override
    public void close() throws IOException {
      out.close();
    }

    @Override
    public boolean isReady() {
      return out.isReady();
    }

    @Override
    public void setWriteListener(WriteListener listener) {
      out.setWriteListener(listener);
    }
  }
}
