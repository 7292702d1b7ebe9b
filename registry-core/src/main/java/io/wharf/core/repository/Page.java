package io.wharf.core.repository;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * One page of a sorted listing (tags, catalog) and whether more follow. Pagination is by value,
 * as the spec says: the next page starts strictly after {@code last}, whatever happened meanwhile.
 *
 * @param items the entries of this page, sorted
 * @param hasMore true if entries follow this page
 */
public record Page(List<String> items, boolean hasMore) {
  /** No limit given by the client. */
  public static final int UNLIMITED = -1;

  /**
   * Creates a page.
   *
   * @param items the entries of this page, sorted (copied)
   * @param hasMore true if entries follow this page
   */
  public Page {
    items = List.copyOf(items);
  }

  /**
   * Cuts a page out of {@code sorted} (ascending, {@link String#compareTo} order): the entries
   * strictly after {@code last} (if given), at most {@code n} of them (if {@code n >= 0}).
   *
   * @param sorted every entry, sorted
   * @param n at most this many entries, or {@link #UNLIMITED}
   * @param last start after this entry, or null for the first
   * @return the page
   */
  public static Page of(Collection<String> sorted, int n, String last) {
    List<String> out = new ArrayList<>();
    boolean more = false;
    for (String s : sorted) {
      if (last != null && s.compareTo(last) <= 0) {
        continue;
      }
      if (n >= 0 && out.size() >= n) {
        more = true;
        break;
      }
      out.add(s);
    }
    return new Page(out, more);
  }

  /**
   * The last item, which is the {@code last} parameter of the next page's link.
   *
   * @return the last item, or null if the page is empty
   */
  public String lastItem() {
    return items.isEmpty() ? null : items.get(items.size() - 1);
  }
}
