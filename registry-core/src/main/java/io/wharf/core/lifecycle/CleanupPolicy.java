package io.wharf.core.lifecycle;

import java.time.Duration;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which tags of a hosted repository a {@link CleanupJob} deletes, per image, in the manner of
 * Nexus cleanup criteria: a tag is deleted if and only if
 * <ol>
 *   <li>its name matches {@code include} (default: every tag) and does not match {@code exclude}
 *       (default: none); both are regular expressions that must match the whole tag, e.g.
 *       exclude {@code latest|v\d+\.\d+\.\d+} protects {@code latest} and release tags;
 *   <li>it is not among the {@code keepLatest} most recently pushed of those tags of its image
 *       (ranked among the tags that pass 1, so protected tags do not use up the quota);
 *   <li>and every age criterion that is set holds: it was last pushed more than {@code olderThan}
 *       ago; it was not used for {@code notPulledFor}, where a tag's last use is the latest of
 *       its last push, its last pull by tag and the last pull by digest of the manifest it points
 *       at (from the repository's {@link AccessLog}).
 * </ol>
 * A policy with only {@code keepLatest} deletes every tag beyond the newest N. A policy with
 * neither {@code keepLatest} nor an age criterion is invalid: the name filters alone would delete
 * every matching tag on every run.
 *
 * @param keepLatest how many of the newest (by push time) matching tags of each image to keep;
 *     0 for no such protection
 * @param olderThan delete only tags last pushed longer ago than this; null: no push-age criterion
 * @param notPulledFor delete only tags not used for this long; null: no usage criterion (needs an
 *     {@link AccessLog} in the job when set)
 * @param include a regular expression a tag must match as a whole to be considered; null: all
 * @param exclude a regular expression; a tag matching it as a whole is never deleted; null: none
 */
public record CleanupPolicy(int keepLatest, Duration olderThan, Duration notPulledFor, String include, String exclude) {

  /**
   * Checks the policy.
   *
   * @param keepLatest how many of the newest matching tags of each image to keep; 0 or more
   * @param olderThan the push age, or null
   * @param notPulledFor the unused time, or null
   * @param include the regular expression of tags to consider, or null for all
   * @param exclude the regular expression of tags never deleted, or null for none
   * @throws IllegalArgumentException if {@code keepLatest} is negative, an age is not positive, an
   *     expression does not compile, or the policy has neither {@code keepLatest} nor an age
   *     criterion
   */
  public CleanupPolicy {
    if (keepLatest < 0) {
      throw new IllegalArgumentException("keepLatest must not be negative: " + keepLatest);
    }
    requirePositive(olderThan, "olderThan");
    requirePositive(notPulledFor, "notPulledFor");
    compile(include, "include");
    compile(exclude, "exclude");
    if (keepLatest == 0 && olderThan == null && notPulledFor == null) {
      throw new IllegalArgumentException(
          "a cleanup policy needs keepLatest, olderThan or notPulledFor; include/exclude alone would delete every matching tag");
    }
  }

  /**
   * {@return the tags this policy may delete at all: those matching {@code include} and not {@code
   * exclude}}
   */
  public Predicate<String> tagFilter() {
    Pattern in = compile(include, "include");
    Pattern out = compile(exclude, "exclude");
    return tag -> (in == null || in.matcher(tag).matches()) && (out == null || !out.matcher(tag).matches());
  }

  private static void requirePositive(Duration d, String what) {
    if (d != null && (d.isNegative() || d.isZero())) {
      throw new IllegalArgumentException(what + " must be positive: " + d);
    }
  }

  private static Pattern compile(String regex, String what) {
    if (regex == null) {
      return null;
    }
    try {
      return Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(what + " is not a valid regular expression: " + e.getMessage(), e);
    }
  }
}
