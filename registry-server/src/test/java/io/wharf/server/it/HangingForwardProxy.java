package io.wharf.server.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A forward proxy that hangs on demand: until {@link #hang()} it relays every connection byte for
 * byte to a real forward proxy (tinyproxy); after it, it accepts connections, reads what arrives
 * and never answers, as a forward proxy whose own upstream link is dead. {@link #relay()} heals it.
 */
final class HangingForwardProxy implements AutoCloseable {
  private final ServerSocket server;
  private final int targetPort;
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "hanging-forward-proxy");
    t.setDaemon(true);
    return t;
  });
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile boolean hanging;
  private volatile boolean closed;

  private HangingForwardProxy(ServerSocket server, int targetPort) {
    this.server = server;
    this.targetPort = targetPort;
  }

  /** Listens on a free port of 127.0.0.1, relaying to the forward proxy on {@code targetPort}. */
  static HangingForwardProxy relayingTo(int targetPort) throws IOException {
    HangingForwardProxy p = new HangingForwardProxy(new ServerSocket(0, 100, InetAddress.getLoopbackAddress()), targetPort);
    p.threads.execute(p::acceptLoop);
    return p;
  }

  /** The YAML of an outbound proxy entry: {@code {host: 127.0.0.1, port: N}}. */
  String yaml() {
    return "{host: 127.0.0.1, port: " + server.getLocalPort() + "}";
  }

  /** New connections are accepted and never answered. */
  void hang() {
    hanging = true;
  }

  /** New connections are relayed again. */
  void relay() {
    hanging = false;
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    for (Socket s : sockets) {
      s.close();
    }
    threads.shutdownNow();
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = server.accept();
        sockets.add(client);
        threads.execute(() -> serve(client));
      } catch (IOException e) {
        if (!closed) {
          System.err.println("hanging forward proxy: accept failed: " + e);
        }
      }
    }
  }

  private void serve(Socket client) {
    try (client) {
      if (hanging) {
        client.getInputStream().transferTo(OutputStream.nullOutputStream()); // until the client gives up
        return;
      }
      try (Socket target = new Socket()) {
        sockets.add(target);
        target.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5000);
        threads.execute(() -> pipe(target, client));
        pipe(client, target);
      } finally {
        sockets.removeIf(Socket::isClosed);
      }
    } catch (IOException e) {
      // one side went away
    } finally {
      sockets.remove(client);
    }
  }

  /** Copies {@code from} to {@code to} until {@code from} ends, then ends {@code to}. */
  private static void pipe(Socket from, Socket to) {
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      in.transferTo(out);
    } catch (IOException e) {
      // the connection is over
    } finally {
      try {
        to.close();
        from.close();
      } catch (IOException ignored) {
        // nothing left to do
      }
    }
  }
}
