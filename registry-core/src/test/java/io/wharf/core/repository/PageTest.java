package io.wharf.core.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pagination by value: {@code n} caps the page, {@code last} starts strictly after a value. */
class PageTest {
  private static final List<String> SORTED =
      List.of("TEST0", "TEST1", "TEST2", "TEST3", "test0", "test1", "test2", "test3");

  @Test
  void of_unlimited_everythingNoMore() {
    Page p = Page.of(SORTED, Page.UNLIMITED, null);

    assertThat(p.items()).isEqualTo(SORTED);
    assertThat(p.hasMore()).isFalse();
    assertThat(p.lastItem()).isEqualTo("test3");
  }

  @Test
  void of_nFour_firstFourAndMore() {
    Page p = Page.of(SORTED, 4, null);

    assertThat(p.items()).containsExactly("TEST0", "TEST1", "TEST2", "TEST3");
    assertThat(p.hasMore()).isTrue();
    assertThat(p.lastItem()).isEqualTo("TEST3");
  }

  @Test
  void of_nFourAfterFourth_restAndNoMore() {
    Page p = Page.of(SORTED, 4, "TEST3");

    assertThat(p.items()).containsExactly("test0", "test1", "test2", "test3");
    assertThat(p.hasMore()).isFalse();
  }

  @Test
  void of_nExactlyRemaining_noMore() {
    assertThat(Page.of(SORTED, 8, null).hasMore()).isFalse();
    assertThat(Page.of(SORTED, 7, null).hasMore()).isTrue();
  }

  @Test
  void of_nZero_emptyAndMoreButNoLastItem() {
    Page p = Page.of(SORTED, 0, null);

    assertThat(p.items()).isEmpty();
    assertThat(p.lastItem()).isNull(); // so no Link header can be built from it
  }

  @Test
  void of_lastNotInList_startsAfterItsPosition() {
    assertThat(Page.of(SORTED, Page.UNLIMITED, "TEST9").items()).containsExactly("test0", "test1", "test2", "test3");
    assertThat(Page.of(SORTED, 2, "a").items()).containsExactly("test0", "test1");
  }

  @Test
  void of_lastBeyondEverything_empty() {
    Page p = Page.of(SORTED, 4, "zzz");

    assertThat(p.items()).isEmpty();
    assertThat(p.hasMore()).isFalse();
  }

  @Test
  void of_lastBeforeEverything_fromStart() {
    assertThat(Page.of(SORTED, 1, "A").items()).containsExactly("TEST0");
  }

  @Test
  void of_emptyCollection_emptyNoMore() {
    Page p = Page.of(List.of(), 10, null);

    assertThat(p.items()).isEmpty();
    assertThat(p.hasMore()).isFalse();
    assertThat(p.lastItem()).isNull();
  }

  @Test
  void items_immutableCopy() {
    ArrayList<String> source = new ArrayList<>(List.of("a", "b"));
    Page p = new Page(source, false);
    source.add("c");

    assertThat(p.items()).containsExactly("a", "b");
    assertThatThrownBy(() -> p.items().add("d"))
        .isInstanceOf(UnsupportedOperationException.class);
  }
}
