package dev.vigil.starter.api;

import io.micronaut.context.annotation.Context;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The API's bearer tokens, loaded once at startup from their references and kept only as SHA-256
 * digests. A presented token is hashed and compared with every digest by {@link
 * MessageDigest#isEqual} (constant time), so neither timing nor a heap dump gives a token away.
 * {@code @Context}: a bad token configuration stops the API at startup, not at the first request.
 */
@Context
final class TokenStore {
  /** Shorter tokens are guessable; {@code openssl rand -hex 32} gives 64 characters. */
  static final int MIN_LENGTH = 16;

  private record Entry(Caller caller, byte[] digest) {}

  private final List<Entry> entries;

  @Inject
  TokenStore(List<TokenProperties> tokens) {
    this(tokens, System::getenv);
  }

  TokenStore(List<TokenProperties> tokens, Function<String, String> environment) {
    if (tokens.isEmpty()) {
      throw new ApiConfigurationException(
          "api.tokens: no tokens configured; add one (role viewer or operator, token-env or"
              + " token-file) under api.tokens in vigil.yaml: the API has no anonymous access");
    }
    List<Entry> loaded = new ArrayList<>();
    for (TokenProperties token : tokens) {
      String at = "api.tokens." + token.name();
      Role role = role(at, token.role());
      byte[] digest = sha256(secret(at, token, environment));
      for (Entry other : loaded) {
        if (MessageDigest.isEqual(other.digest(), digest)) {
          throw new ApiConfigurationException(
              at
                  + " and api.tokens."
                  + other.caller().name()
                  + " hold the same token; give each name its own token");
        }
      }
      loaded.add(new Entry(new Caller(token.name(), role), digest));
    }
    this.entries = List.copyOf(loaded);
  }

  /** The caller a presented token belongs to, if any. Looks at every entry whatever matches. */
  Optional<Caller> authenticate(String presented) {
    if (presented == null || presented.isEmpty()) {
      return Optional.empty();
    }
    byte[] digest = sha256(presented);
    Caller found = null;
    for (Entry entry : entries) {
      if (MessageDigest.isEqual(entry.digest(), digest)) {
        found = entry.caller();
      }
    }
    return Optional.ofNullable(found);
  }

  /** Token names and roles, for the startup log. */
  Map<String, Role> roles() {
    return entries.stream()
        .collect(
            Collectors.toMap(
                entry -> entry.caller().name(),
                entry -> entry.caller().role(),
                (a, b) -> a,
                java.util.LinkedHashMap::new));
  }

  @Override
  public String toString() {
    return "TokenStore" + roles();
  }

  private static Role role(String at, String role) {
    if (role == null || role.isBlank()) {
      throw new ApiConfigurationException(at + ".role: missing; set viewer or operator");
    }
    try {
      return Role.valueOf(role.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ApiConfigurationException(
          at + ".role: expected viewer or operator, got \"" + role + "\"");
    }
  }

  private static String secret(
      String at, TokenProperties token, Function<String, String> environment) {
    String value =
        SecretReferences.resolve(
            at + ".token", token.tokenEnv(), token.tokenFile(), true, environment);
    if (value.length() < MIN_LENGTH) {
      throw new ApiConfigurationException(
          at
              + ": the token is shorter than "
              + MIN_LENGTH
              + " characters; use a random one (e.g. openssl rand -hex 32)");
    }
    return value;
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  }
}
