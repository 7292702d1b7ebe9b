package io.wharf.proxy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** An "upstream" that announces a whole body, sends part of it and hangs up. */
final class CutOffServer implements AutoCloseable {
  private final ServerSocket socket;
  private final Thread thread;

  CutOffServer(byte[] body, int sendBytes) throws IOException {
    socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    thread = new Thread(() -> {
      while (!socket.isClosed()) {
        try (Socket s = socket.accept()) {
          s.getInputStream().read(new byte[8192]); // the request; its content does not matter
          OutputStream out = s.getOutputStream();
          out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + body.length
              + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
          out.write(body, 0, sendBytes);
          out.flush();
        } catch (IOException e) {
          return;
        }
      }
    }, "cut-off-upstream");
    thread.setDaemon(true);
    thread.start();
  }

  int port() {
    return socket.getLocalPort();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
