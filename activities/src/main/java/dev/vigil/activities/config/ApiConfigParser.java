package dev.vigil.activities.config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Parses the top-level {@code api:} section. Tokens are references ({@code token-env} / {@code
 * token-file}); a section without tokens is valid here, and {@code vigil api} refuses to start on
 * it, since the API has no anonymous access.
 */
final class ApiConfigParser {
  private static final Pattern TOKEN_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
  private static final Set<String> ROLES = Set.of("viewer", "operator");

  private ApiConfigParser() {}

  static ApiConfig parse(ConfigNode api) {
    if (api.missing()) {
      return ApiConfig.NONE;
    }
    api.allow("port", "bind", "tokens");
    int port = api.integer("port", ApiConfig.DEFAULT_PORT, 0, 65535);
    String bind = api.text("bind", ApiConfig.DEFAULT_BIND);
    if (bind.isBlank()) {
      api.problem("bind", "expected an address such as 0.0.0.0 or 127.0.0.1");
    }
    Map<String, ApiTokenConfig> tokens = new LinkedHashMap<>();
    for (ConfigNode token : api.child("tokens").entries()) {
      if (!TOKEN_NAME.matcher(token.key).matches()) {
        token.problem(
            "", "token names are lower-case letters, digits, '_' and '-' (runs record them)");
      }
      if (!token.value.isObject()) {
        token.problem("", "expected a mapping with role and token-env or token-file");
        continue;
      }
      token.allow("role", "token-env", "token-file");
      String role = token.oneOf("role", null, ROLES);
      SecretRef secret = token.secret("token", true);
      tokens.put(token.key, new ApiTokenConfig(token.key, role, secret));
    }
    return new ApiConfig(port, bind, tokens);
  }
}
