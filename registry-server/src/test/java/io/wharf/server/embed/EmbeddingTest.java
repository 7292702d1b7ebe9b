package io.wharf.server.embed;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.TarImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Registry;
import io.wharf.server.http.RegistryServlet;
import io.wharf.storage.memory.InMemoryDriver;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedder's view: a registry built from the public Java API, its servlet mounted at
 * {@code /v2/*} beside the application's own servlets in the application's own Jetty.
 * The README shows the same code.
 */
class EmbeddingTest {
  @TempDir Path work;

  /** The host application's own servlet. */
  static final class HealthServlet extends HttpServlet {
    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      resp.setContentType("text/plain");
      resp.getWriter().print("ok");
    }
  }

  @Test
  void registryServletMountedBesideAppServlets_servesJibPushAndPull() throws Exception {
    // --- as in the README
    Registry registry = Registry.of(HostedRepository.builder("builds", new InMemoryDriver()).build());
    Server jetty = new Server();
    ServerConnector connector = new ServerConnector(jetty);
    connector.setHost("127.0.0.1");
    jetty.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler("/");
    context.addServlet(new ServletHolder(new HealthServlet()), "/health");
    context.addServlet(new ServletHolder(new RegistryServlet(registry)), "/v2/*");
    jetty.setHandler(context);
    jetty.start();
    // ---
    try {
      String hostPort = "127.0.0.1:" + connector.getLocalPort();
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> health = http.send(
          HttpRequest.newBuilder(URI.create("http://" + hostPort + "/health")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(health.body()).isEqualTo("ok");
      HttpResponse<String> base = http.send(
          HttpRequest.newBuilder(URI.create("http://" + hostPort + "/v2/")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(base.statusCode()).isEqualTo(200);
      assertThat(base.headers().firstValue("Docker-Distribution-API-Version")).hasValue("registry/2.0");

      Path file = Files.write(work.resolve("app.txt"), "hello from an embedded registry".getBytes());
      JibContainer pushed = Jib.fromScratch()
          .addLayer(List.of(file), AbsoluteUnixPath.get("/app"))
          .containerize(Containerizer.to(RegistryImage.named(hostPort + "/ci/app:42")).setAllowInsecureRegistries(true));

      JibContainer pulled = Jib.from(RegistryImage.named(hostPort + "/ci/app:42"))
          .containerize(Containerizer.to(TarImage.at(work.resolve("app.tar")).named("app"))
              .setAllowInsecureRegistries(true)
              .setBaseImageLayersCache(work.resolve("cache-base"))
              .setApplicationLayersCache(work.resolve("cache-app")));
      assertThat(pulled.getImageId()).isEqualTo(pushed.getImageId());
      assertThat(registry.defaultRepository().listTags(io.wharf.core.model.ImageName.of("ci/app"), -1, null).items())
          .containsExactly("42");
    } finally {
      jetty.stop();
    }
  }
}
