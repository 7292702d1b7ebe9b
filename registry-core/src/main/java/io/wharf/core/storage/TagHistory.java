package io.wharf.core.storage;

import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.TagRevision;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every change of a tag, with who and when, so a bad release can be rolled back:
 *
 * <pre>
 * repositories/&lt;image&gt;/_history/&lt;tag&gt;/&lt;millis, 13 digits&gt;-&lt;counter&gt;.json
 *     {"digest":"sha256:…","time":"…","actor":"alice","action":"push"}
 * </pre>
 *
 * Beside the image's {@code _manifests}, in the image's own store, so the garbage collector of
 * that store sees it: it keeps the manifests (and their blobs) that history entries younger than
 * its {@code tagHistory} window name, and removes older entries. distribution ignores the
 * directory (it starts with {@code _}).
 */
public final class TagHistory {
  /** The directory below an image's root. */
  public static final String DIR = "_history";

  /**
   * The mapper, made on first use: a registry starts without loading Jackson (some 460 classes,
   * 15 % of a test kit's first start) until a tag actually moves.
   */
  private static final class Json {
    static final JsonMapper MAPPER = JsonMapper.builder().build();
  }

  private final StorageDriver driver;
  private final StorageLayout layout;
  private final Clock clock;
  private final AtomicLong counter = new AtomicLong();

  /**
   * The tag history of the repository whose storage and layout these are.
   *
   * @param driver the storage, already path-checked
   * @param layout the repository's layout
   * @param clock the clock that stamps each change
   */
  public TagHistory(StorageDriver driver, StorageLayout layout, Clock clock) {
    this.driver = driver;
    this.layout = layout;
    this.clock = clock;
  }

  /**
   * Remembers that {@code tag} now points at {@code digest} (null: deleted), done by {@code actor}.
   *
   * @param image the image
   * @param tag the tag
   * @param digest what it points at now, or null if it was deleted
   * @param action what happened, e.g. {@code push}, {@code delete}, {@code restore}
   * @param actor who did it, or null for anonymous
   * @throws IOException if storage fails
   */
  public void record(ImageName image, Tag tag, Digest digest, String action, String actor) throws IOException {
    Instant now = clock.instant();
    String key = String.format("%013d-%09d", now.toEpochMilli(), counter.incrementAndGet() % 1_000_000_000L);
    TagRevision r = new TagRevision(digest == null ? null : digest.value(), now.toString(), actor, action);
    driver.putContent(tagDir(image, tag) + "/" + key + ".json", Json.MAPPER.writeValueAsBytes(r));
  }

  /**
   * The tag's changes, oldest first.
   *
   * @param image the image
   * @param tag the tag
   * @return its revisions, empty if none
   * @throws IOException if storage fails
   */
  public List<TagRevision> list(ImageName image, Tag tag) throws IOException {
    List<TagRevision> out = new ArrayList<>();
    for (String path : driver.list(tagDir(image, tag))) {
      driver.getContent(path).flatMap(TagHistory::parse).ifPresent(out::add);
    }
    return out;
  }

  private String tagDir(ImageName image, Tag tag) {
    return layout.imageRoot(image) + "/" + DIR + "/" + tag.value();
  }

  /**
   * An entry's content, or empty if it is not one (a torn or foreign file is skipped, never fatal).
   *
   * @param bytes the content of an entry file
   * @return the revision, or empty
   */
  public static Optional<TagRevision> parse(byte[] bytes) {
    try {
      TagRevision r = Json.MAPPER.readValue(bytes, TagRevision.class);
      if (r.time() == null || r.action() == null) {
        return Optional.empty();
      }
      Instant.parse(r.time());
      return Optional.of(r);
    } catch (JacksonException | DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
