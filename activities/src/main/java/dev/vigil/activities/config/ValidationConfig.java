package dev.vigil.activities.config;

import java.math.BigDecimal;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A user-defined validation query run against a restored database: the first column of its first
 * row must satisfy {@code expect}.
 *
 * @param name shown in results, e.g. {@code recent-conversations}
 * @param query SQL returning one number, e.g. {@code SELECT count(*) FROM conversations}
 * @param expect a comparison with a number: {@code > 0}, {@code >= 1000}, {@code = 0}, {@code <=
 *     5}, {@code < 5} or {@code != 0}
 */
public record ValidationConfig(String name, String query, String expect) {
  private static final Pattern EXPECT =
      Pattern.compile("\\s*(>=|<=|!=|==|=|>|<)\\s*(-?\\d+(?:\\.\\d+)?)\\s*");

  /** Null if {@code expect} is well formed, else what is wrong with it. */
  public static String problemWith(String expect) {
    if (expect == null || !EXPECT.matcher(expect).matches()) {
      return "expected a comparison with a number such as \"> 0\", \">= 1000\" or \"= 0\", got \""
          + expect
          + "\"";
    }
    return null;
  }

  /** Whether {@code actual} satisfies {@link #expect}. */
  public boolean accepts(BigDecimal actual) {
    Matcher matcher = EXPECT.matcher(expect);
    if (!matcher.matches()) {
      throw new IllegalStateException("unchecked expectation " + expect);
    }
    int comparison = actual.compareTo(new BigDecimal(matcher.group(2)));
    return switch (matcher.group(1)) {
      case ">=" -> comparison >= 0;
      case "<=" -> comparison <= 0;
      case ">" -> comparison > 0;
      case "<" -> comparison < 0;
      case "!=" -> comparison != 0;
      default -> comparison == 0;
    };
  }
}
