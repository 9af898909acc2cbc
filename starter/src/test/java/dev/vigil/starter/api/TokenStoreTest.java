package dev.vigil.starter.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenStoreTest {
  private static final String OPS_TOKEN = "0123456789abcdef-operator";
  private static final String VIEW_TOKEN = "fedcba9876543210-viewer";
  private static final Function<String, String> ENV = Map.of("VIGIL_OPS", OPS_TOKEN)::get;

  @TempDir Path dir;

  @Test
  void tokensFromEnvAndFileAuthenticateToTheirNameAndRole() throws IOException {
    Path file = Files.writeString(dir.resolve("viewer.token"), VIEW_TOKEN + "\n");
    TokenStore store =
        new TokenStore(
            List.of(
                new TokenProperties("ops", "operator", "VIGIL_OPS", null),
                new TokenProperties("grafana", "viewer", null, file.toString())),
            ENV);

    assertThat(store.authenticate(OPS_TOKEN)).contains(new Caller("ops", Role.OPERATOR));
    assertThat(store.authenticate(VIEW_TOKEN)).contains(new Caller("grafana", Role.VIEWER));
    assertThat(store.authenticate(OPS_TOKEN + "x")).isEmpty();
    assertThat(store.authenticate("")).isEmpty();
    assertThat(store.authenticate(null)).isEmpty();
    assertThat(new Caller("ops", Role.OPERATOR).triggeredBy()).isEqualTo("api:ops");
  }

  @Test
  void toStringNamesTokensAndRolesButNeverTheTokens() throws IOException {
    Path file = Files.writeString(dir.resolve("viewer.token"), VIEW_TOKEN);
    TokenStore store =
        new TokenStore(
            List.of(
                new TokenProperties("ops", "operator", "VIGIL_OPS", null),
                new TokenProperties("grafana", "viewer", null, file.toString())),
            ENV);

    assertThat(store.toString())
        .isEqualTo("TokenStore{ops=OPERATOR, grafana=VIEWER}")
        .doesNotContain(OPS_TOKEN, VIEW_TOKEN);
  }

  @Test
  void noTokensRefusesToStartBecauseThereIsNoAnonymousAccess() {
    assertThatThrownBy(() -> new TokenStore(List.of(), ENV))
        .isInstanceOf(ApiConfigurationException.class)
        .hasMessage(
            "api.tokens: no tokens configured; add one (role viewer or operator, token-env or"
                + " token-file) under api.tokens in vigil.yaml: the API has no anonymous access");
  }

  @Test
  void unknownRoleIsNamed() {
    assertThatThrownBy(
            () ->
                new TokenStore(
                    List.of(new TokenProperties("ops", "admin", "VIGIL_OPS", null)), ENV))
        .hasMessage("api.tokens.ops.role: expected viewer or operator, got \"admin\"");
  }

  @Test
  void missingFileIsNamedWithWhatToDo() {
    Path missing = dir.resolve("nope.token");
    assertThatThrownBy(
            () ->
                new TokenStore(
                    List.of(new TokenProperties("ci", "viewer", null, missing.toString())), ENV))
        .isInstanceOf(ApiConfigurationException.class)
        .hasMessage(
            "api.tokens.ci.token-file: cannot read "
                + missing
                + " (NoSuchFileException); create it or fix the path");
  }

  @Test
  void unsetEnvironmentVariableIsNamedButNoValueIsPrinted() {
    assertThatThrownBy(
            () ->
                new TokenStore(
                    List.of(new TokenProperties("ops", "operator", "VIGIL_NOT_SET", null)), ENV))
        .hasMessage(
            "api.tokens.ops.token-env: environment variable VIGIL_NOT_SET is not set; export it"
                + " and start again");
  }

  @Test
  void bothOrNeitherReferenceIsRefused() {
    assertThatThrownBy(
            () ->
                new TokenStore(
                    List.of(new TokenProperties("ops", "operator", "VIGIL_OPS", "/x")), ENV))
        .hasMessage(
            "api.tokens.ops.token-env and api.tokens.ops.token-file are both set; keep one");
    assertThatThrownBy(
            () -> new TokenStore(List.of(new TokenProperties("ops", "operator", null, null)), ENV))
        .hasMessage(
            "api.tokens.ops.token-env or api.tokens.ops.token-file: missing; secrets are given by"
                + " reference only");
  }

  @Test
  void shortAndSharedTokensAreRefusedWithoutShowingThem() throws IOException {
    Path shortFile = Files.writeString(dir.resolve("short.token"), "abc123");
    assertThatThrownBy(
            () ->
                new TokenStore(
                    List.of(new TokenProperties("ci", "viewer", null, shortFile.toString())), ENV))
        .hasMessage(
            "api.tokens.ci: the token is shorter than 16 characters; use a random one (e.g."
                + " openssl rand -hex 32)")
        .message()
        .doesNotContain("abc123");
    Path same = Files.writeString(dir.resolve("same.token"), OPS_TOKEN);
    assertThatThrownBy(
            () ->
                new TokenStore(
                    List.of(
                        new TokenProperties("ops", "operator", "VIGIL_OPS", null),
                        new TokenProperties("ci", "viewer", null, same.toString())),
                    ENV))
        .hasMessage(
            "api.tokens.ci and api.tokens.ops hold the same token; give each name its own token")
        .message()
        .doesNotContain(OPS_TOKEN);
  }
}
