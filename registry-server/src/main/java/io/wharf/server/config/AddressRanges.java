package io.wharf.server.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A list of IP addresses and CIDR ranges, IPv4 and IPv6 ({@code 10.0.0.5}, {@code 10.0.0.0/8},
 * {@code ::1}, {@code fd00::/8}), as {@code server.trustedProxies} lists them. Only literal
 * addresses: a host name would make each request wait on DNS and trust whatever it answers.
 */
public final class AddressRanges {
  private static final Pattern IPV4 = Pattern.compile(
      "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

  private final List<Range> ranges;

  private AddressRanges(List<Range> ranges) {
    this.ranges = ranges;
  }

  private record Range(byte[] network, int prefix) {
    boolean contains(byte[] b) {
      if (b.length != network.length) {
        return false;
      }
      int full = prefix / 8;
      for (int i = 0; i < full; i++) {
        if (b[i] != network[i]) {
          return false;
        }
      }
      int rest = prefix % 8;
      int mask = 0xFF << (8 - rest) & 0xFF;
      return rest == 0 || (b[full] & mask) == (network[full] & mask);
    }
  }

  /**
   * Parses {@code entries}; {@code key} names the list in errors ({@code key[i]: ...}).
   *
   * @param entries addresses and CIDR ranges
   * @param key the config key, for the error message
   * @return the ranges
   * @throws ConfigException for an entry that is no literal address or range
   */
  public static AddressRanges parse(List<String> entries, String key) {
    List<Range> ranges = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      String entry = entries.get(i) == null ? "" : entries.get(i).trim();
      String at = key + "[" + i + "]: ";
      int slash = entry.indexOf('/');
      InetAddress address = literal(slash < 0 ? entry : entry.substring(0, slash));
      if (address == null) {
        throw new ConfigException(at + "\"" + entry + "\" is not an IP address or CIDR range"
            + " (e.g. 10.0.0.5, 10.0.0.0/8, ::1, fd00::/8)");
      }
      int bits = address.getAddress().length * 8;
      int prefix = bits;
      if (slash >= 0) {
        try {
          prefix = Integer.parseInt(entry.substring(slash + 1));
        } catch (NumberFormatException e) {
          prefix = -1;
        }
        if (prefix < 0 || prefix > bits) {
          throw new ConfigException(at + "\"" + entry + "\": the prefix length must be between 0 and " + bits);
        }
      }
      ranges.add(new Range(address.getAddress(), prefix));
    }
    return new AddressRanges(List.copyOf(ranges));
  }

  /**
   * Whether the list names no address.
   *
   * @return true for an empty list
   */
  public boolean isEmpty() {
    return ranges.isEmpty();
  }

  /**
   * Whether {@code a} is one of the addresses or in one of the ranges.
   *
   * @param a the address
   * @return true when it is listed
   */
  public boolean contains(InetAddress a) {
    byte[] b = a.getAddress();
    for (Range r : ranges) {
      if (r.contains(b)) {
        return true;
      }
    }
    return false;
  }

  /**
   * A literal IPv4 or IPv6 address ({@code 192.0.2.1}, {@code 2001:db8::1}), or null for
   * anything else; never a DNS lookup. (IPv4-mapped IPv6 addresses come back as IPv4.)
   *
   * @param s the text
   * @return the address, or null
   */
  public static InetAddress literal(String s) {
    if (!IPV4.matcher(s).matches() && !IPV6.matcher(s).matches()) {
      return null;
    }
    try {
      return InetAddress.getByName(s);
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
