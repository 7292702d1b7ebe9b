package io.wharf.server.http;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import io.wharf.core.lifecycle.MaintenanceReport;
import io.wharf.core.lifecycle.MaintenanceScheduler;
import io.wharf.core.repository.Repository;
import io.wharf.server.auth.RegistrySecurity;
import io.wharf.server.auth.UnauthorizedException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wharf's maintenance API, beside the registry API:
 * <ul>
 *   <li>{@code GET /wharf/api/v1/maintenance}: every blob store's job: schedule, steps, whether it
 *       runs now, its next run and its last report;
 *   <li>{@code POST /wharf/api/v1/maintenance/<store>[?dryRun=true][&wait=true]}: runs the
 *       store's job now; {@code 202} and the status at once, or with {@code wait=true} {@code 200}
 *       and the report when it is done. A run already in progress on this node is joined, not
 *       started twice; a run on another node makes this one report {@code skipped}.
 * </ul>
 * With security configured, both need Basic credentials of a user with {@code admin} on every
 * repository of the store (on every repository for the listing and for an unknown store, e.g.
 * {@code *:admin}); credentials are checked before anything about the stores is said.
 */
public final class MaintenanceServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(MaintenanceServlet.class);
  /** Where the servlet is mounted, on the main port. */
  public static final String PATH = "/wharf/api/v1/maintenance";

  private final transient MaintenanceScheduler scheduler;
  private final transient Map<String, List<Repository>> repositoriesByStore;
  private final transient RegistrySecurity security;

  /**
   * The maintenance API of {@code scheduler}'s jobs.
   *
   * @param scheduler the blob stores' maintenance jobs
   * @param repositoriesByStore the repositories whose content each store holds (whose admins may run its job)
   * @param security null: the server is open, as the registry API is
   */
  public MaintenanceServlet(MaintenanceScheduler scheduler, Map<String, List<Repository>> repositoriesByStore,
      RegistrySecurity security) {
    this.scheduler = Objects.requireNonNull(scheduler);
    this.repositoriesByStore = Map.copyOf(repositoriesByStore);
    this.security = security;
  }

  @Override
  protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    resp.setHeader("X-Content-Type-Options", "nosniff");
    boolean head = "HEAD".equals(req.getMethod());
    try {
      String rest = req.getPathInfo() == null ? "/" : req.getPathInfo();
      List<Repository> all = repositoriesByStore.values().stream().flatMap(List::stream).distinct().toList();
      if (rest.equals("/")) {
        if (!head && !"GET".equals(req.getMethod())) {
          throw notAllowed(resp, "GET");
        }
        authorize(req, all);
        send(resp, 200, Map.of("stores", scheduler.status()), head);
        return;
      }
      String store = rest.substring(1);
      if (!scheduler.stores().contains(store)) {
        authorize(req, all); // the list of stores is for administrators too
        throw ErrorCode.NAME_UNKNOWN.exception("no blob store named \"" + store + "\"; stores: " + scheduler.stores());
      }
      List<Repository> here = repositoriesByStore.getOrDefault(store, List.of());
      authorize(req, here.isEmpty() ? all : here);
      if (!"POST".equals(req.getMethod())) {
        throw notAllowed(resp, "POST");
      }
      boolean dryRun = "true".equals(req.getParameter("dryRun"));
      CompletableFuture<MaintenanceReport> run = scheduler.runNow(store, dryRun).orElseThrow();
      if (!"true".equals(req.getParameter("wait"))) {
        send(resp, 202, scheduler.status().stream().filter(s -> s.store().equals(store)).findFirst().orElseThrow(),
            false);
        return;
      }
      send(resp, 200, run.get(), false);
    } catch (UnauthorizedException e) {
      resp.setHeader("WWW-Authenticate", e.challenge());
      ErrorResponses.write(resp, e, head);
    } catch (RegistryException e) {
      ErrorResponses.write(resp, e, head);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ErrorResponses.write(resp, ErrorCode.UNAVAILABLE.exception("interrupted while waiting for the run"), head);
    } catch (ExecutionException | RuntimeException e) {
      LOG.error("{} {} failed", req.getMethod(), req.getRequestURI(), e);
      ErrorResponses.write(resp, ErrorCode.UNKNOWN.exception("the maintenance run failed; the server log has the details"),
          head);
    }
  }

  private void authorize(HttpServletRequest req, List<Repository> repositories) {
    if (security != null) {
      security.requireAdmin(req, repositories);
    }
  }

  private static RegistryException notAllowed(HttpServletResponse resp, String allow) {
    resp.setHeader("Allow", allow);
    return ErrorCode.METHOD_NOT_ALLOWED.exception("this endpoint takes " + allow);
  }

  private static void send(HttpServletResponse resp, int status, Object body, boolean head) throws IOException {
    byte[] json = Json.write(body);
    resp.setStatus(status);
    resp.setContentType("application/json");
    resp.setContentLength(json.length);
    if (!head) {
      resp.getOutputStream().write(json);
    }
  }
}
