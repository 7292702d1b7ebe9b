package io.wharf.testkit;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Just enough tar for layers and {@code docker save} archives: writes deterministic ustar
 * entries (mtime 0, root:root, mode 0644) and extracts regular files, understanding the ustar
 * {@code prefix} field, GNU long names ({@code L}) and pax {@code path} records ({@code x}).
 */
final class Tar {
  static final int BLOCK = 512;

  private Tar() {}

  /** Writes one regular file entry (header, content, padding). */
  static void writeEntry(OutputStream out, String name, byte[] content) throws IOException {
    out.write(header(name, content.length));
    out.write(content);
    out.write(new byte[padding(content.length)]);
  }

  /** The two zero blocks that end an archive. */
  static void writeEnd(OutputStream out) throws IOException {
    out.write(new byte[2 * BLOCK]);
  }

  static int padding(long size) {
    return (int) ((BLOCK - size % BLOCK) % BLOCK);
  }

  static byte[] header(String name, long size) {
    byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
    if (nameBytes.length > 100) {
      throw new IllegalArgumentException("tar entry name longer than 100 bytes: " + name);
    }
    byte[] h = new byte[BLOCK];
    put(h, 0, 100, name);
    put(h, 100, 8, "0000644");
    put(h, 108, 8, "0000000");
    put(h, 116, 8, "0000000");
    put(h, 124, 12, String.format("%011o", size));
    put(h, 136, 12, String.format("%011o", 0L)); // mtime 0: the same bytes on every run
    h[156] = '0';
    put(h, 257, 6, "ustar");
    put(h, 263, 2, "00");
    put(h, 265, 32, "root");
    put(h, 297, 32, "root");
    for (int i = 148; i < 156; i++) {
      h[i] = ' '; // the checksum is computed with its own field as spaces
    }
    int sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    put(h, 148, 7, String.format("%06o", sum));
    return h;
  }

  private static void put(byte[] h, int off, int len, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    System.arraycopy(b, 0, h, off, Math.min(b.length, len));
  }

  /**
   * Extracts the regular files of an archive under {@code dir}. Entry names that would escape
   * {@code dir} ({@code ..}, absolute paths) are refused.
   */
  static void extract(InputStream in, Path dir) throws IOException {
    byte[] h = new byte[BLOCK];
    String longName = null;
    Path root = dir.toAbsolutePath().normalize();
    while (true) {
      if (!readBlock(in, h)) {
        return; // no end marker: accept a truncated tail as the end
      }
      if (isZero(h)) {
        return;
      }
      long size = octal(h, 124, 12);
      char type = (char) (h[156] == 0 ? '0' : h[156]);
      String name = longName != null ? longName : name(h);
      longName = null;
      switch (type) {
        case 'L' -> longName = trimNul(new String(readFully(in, size), StandardCharsets.UTF_8));
        case 'x' -> longName = paxPath(readFully(in, size));
        case '0', '7' -> {
          Path target = root.resolve(stripLeading(name)).normalize();
          if (!target.startsWith(root) || target.equals(root)) {
            throw new IOException("tar entry outside the archive: " + name);
          }
          Files.createDirectories(target.getParent());
          Files.copy(new Bounded(in, size), target, StandardCopyOption.REPLACE_EXISTING);
        }
        default -> skip(in, size); // directories, links, global pax headers: not needed
      }
      skip(in, padding(size));
    }
  }

  private static String name(byte[] h) {
    String name = cString(h, 0, 100);
    if ("ustar".equals(cString(h, 257, 6).trim())) {
      String prefix = cString(h, 345, 155);
      if (!prefix.isEmpty()) {
        name = prefix + "/" + name;
      }
    }
    return name;
  }

  private static String paxPath(byte[] records) {
    String s = new String(records, StandardCharsets.UTF_8);
    for (String line : s.split("\n")) {
      int space = line.indexOf(' ');
      if (space > 0 && line.startsWith("path=", space + 1)) {
        return line.substring(space + 1 + "path=".length());
      }
    }
    return null;
  }

  private static String stripLeading(String name) {
    String n = name;
    while (n.startsWith("/") || n.startsWith("./")) {
      n = n.startsWith("/") ? n.substring(1) : n.substring(2);
    }
    return n;
  }

  private static String cString(byte[] h, int off, int len) {
    int end = off;
    while (end < off + len && h[end] != 0) {
      end++;
    }
    return new String(h, off, end - off, StandardCharsets.UTF_8);
  }

  private static String trimNul(String s) {
    int nul = s.indexOf('\0');
    return nul >= 0 ? s.substring(0, nul) : s;
  }

  private static long octal(byte[] h, int off, int len) throws IOException {
    if ((h[off] & 0x80) != 0) { // GNU base-256 for sizes over 8 GiB
      long v = h[off] & 0x7f;
      for (int i = off + 1; i < off + len; i++) {
        v = (v << 8) | (h[i] & 0xff);
      }
      return v;
    }
    String s = cString(h, off, len).trim();
    try {
      return s.isEmpty() ? 0 : Long.parseLong(s, 8);
    } catch (NumberFormatException e) {
      throw new IOException("not a tar archive (bad size field " + s + ")");
    }
  }

  private static boolean isZero(byte[] h) {
    for (byte b : h) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }

  private static boolean readBlock(InputStream in, byte[] block) throws IOException {
    int off = 0;
    while (off < block.length) {
      int n = in.read(block, off, block.length - off);
      if (n < 0) {
        if (off == 0) {
          return false;
        }
        throw new EOFException("tar archive ends inside a header");
      }
      off += n;
    }
    return true;
  }

  private static byte[] readFully(InputStream in, long size) throws IOException {
    if (size > 1 << 20) {
      throw new IOException("tar meta entry too large: " + size);
    }
    byte[] b = in.readNBytes((int) size);
    if (b.length != size) {
      throw new EOFException("tar archive ends inside an entry");
    }
    return b;
  }

  private static void skip(InputStream in, long n) throws IOException {
    long left = n;
    while (left > 0) {
      long s = in.skip(left);
      if (s <= 0) {
        if (in.read() < 0) {
          throw new EOFException("tar archive ends inside an entry");
        }
        s = 1;
      }
      left -= s;
    }
  }

  /** The next {@code size} bytes of the archive, without closing it. */
  private static final class Bounded extends InputStream {
    private final InputStream in;
    private long left;

    Bounded(InputStream in, long size) {
      this.in = in;
      this.left = size;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int b = in.read();
      if (b < 0) {
        throw new EOFException("tar archive ends inside an entry");
      }
      left--;
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n < 0) {
        throw new EOFException("tar archive ends inside an entry");
      }
      left -= n;
      return n;
    }

    @Override
    public void close() {
      // the archive stays open for the next entry
    }
  }
}
