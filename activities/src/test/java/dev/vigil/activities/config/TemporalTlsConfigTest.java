package dev.vigil.activities.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.workflows.connection.TemporalReference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * vigil.yaml's {@code temporal.tls} and {@code temporal.api-key}: references parsed, and what can
 * be checked without a server (presence, PEM, validity, key format) reported at load, one line
 * each, naming the setting.
 */
class TemporalTlsConfigTest {
  private static final String REST =
      """
      repositories:
        main: {type: filesystem, path: /var/backups/vigil}
      encryption:
        key-env: VIGIL_KEY
      sources:
        models: {type: directory, kind: model, path: data/models}
      """;

  @TempDir Path dir;

  private final ConfigLoader loader =
      new ConfigLoader(
              Map.of(
                      "VIGIL_KEY",
                      Base64.getEncoder().encodeToString(new byte[32]),
                      "TEMPORAL_API_KEY",
                      "key-from-env")
                  ::get)
          .withoutLocalPathChecks();

  @Test
  void referencesAreReadAndAnEmptyTlsMappingMeansTlsWithTheJvmRoots() throws IOException {
    TemporalConfig plain =
        load("temporal:\n  target: temporal:7233\n  tls: {}\n" + REST).temporal();
    assertThat(plain.tls()).isNotNull();
    assertThat(plain.access().usesTls()).isTrue();

    TemporalConfig cloud =
        load("temporal:\n  target: ns.acct.tmprl.cloud:7233\n  api-key-env: TEMPORAL_API_KEY\n"
                + REST)
            .temporal();
    assertThat(cloud.apiKey())
        .isEqualTo(new TemporalReference("temporal.api-key", "TEMPORAL_API_KEY", null));
    assertThat(cloud.tls()).isNull();
    assertThat(cloud.access().usesTls()).as("an API key is never sent in the clear").isTrue();

    assertThat(load("temporal:\n  target: 127.0.0.1:7233\n" + REST).temporal().access().usesTls())
        .isFalse();
  }

  @Test
  void aClientCertificateWithoutItsKeyIsOneLineNamingBoth() throws Exception {
    Path ca = openssl("ca");

    List<String> problems =
        problems(
            "temporal:\n  tls:\n    server-ca-file: %s\n    client-cert-file: %s\n"
                .formatted(ca, ca));

    assertThat(problems)
        .singleElement()
        .asString()
        .contains("temporal.tls.client-cert: set together with temporal.tls.client-key");
  }

  @Test
  void anUnsetApiKeyVariableAndAnUnknownTlsFieldNameTheirSettings() throws IOException {
    List<String> problems =
        problems("temporal:\n  api-key-env: NOT_SET_HERE\n  tls:\n    ca-file: /x\n");

    assertThat(problems)
        .anySatisfy(line -> assertThat(line).contains("temporal.api-key-env").contains("not set"))
        .anySatisfy(
            line -> assertThat(line).contains("temporal.tls.ca-file at line 4: unknown field"));
  }

  @Test
  void aFileThatHoldsNoCertificateIsNamed() throws IOException {
    Path notPem = Files.writeString(dir.resolve("ca.txt"), "not a certificate\n");

    assertThat(problems("temporal:\n  tls:\n    server-ca-file: %s\n".formatted(notPem)))
        .singleElement()
        .asString()
        .contains("temporal.tls.server-ca: file " + notPem + " holds no PEM certificate");
  }

  @Test
  void aCertificateFromAnEnvironmentVariableIsReadAsPemText() throws Exception {
    String pem = Files.readString(openssl("env-ca"));
    ConfigLoader withPem =
        new ConfigLoader(
                Map.of(
                        "VIGIL_KEY",
                        Base64.getEncoder().encodeToString(new byte[32]),
                        "TEMPORAL_CA",
                        pem,
                        "NOT_A_CA",
                        "hello")
                    ::get)
            .withoutLocalPathChecks();
    Path file = dir.resolve("vigil.yaml");

    Files.writeString(file, "temporal:\n  tls:\n    server-ca-env: TEMPORAL_CA\n" + REST);
    assertThat(withPem.load(file).temporal().tls().serverCa().env()).isEqualTo("TEMPORAL_CA");

    Files.writeString(file, "temporal:\n  tls:\n    server-ca-env: NOT_A_CA\n" + REST);
    assertThatThrownBy(() -> withPem.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("temporal.tls.server-ca: env NOT_A_CA holds no PEM certificate");
  }

  @Test
  void aTraditionalRsaKeyIsOneLineSayingHowToConvertItWithoutItsMaterial() throws Exception {
    Path cert = openssl("client");
    Path rsaKey = dir.resolve("client.key");
    String body =
        Files.readString(rsaKey, StandardCharsets.US_ASCII)
            .lines()
            .skip(1)
            .findFirst()
            .orElseThrow();

    List<String> problems =
        problems(
            "temporal:\n  tls:\n    client-cert-file: %s\n    client-key-file: %s\n"
                .formatted(cert, rsaKey));

    assertThat(problems)
        .singleElement()
        .asString()
        .contains("temporal.tls.client-key: file " + rsaKey + " holds a RSA PRIVATE KEY")
        .contains("openssl pkcs8 -topk8 -nocrypt")
        .doesNotContain(body.substring(0, 16));
  }

  private VigilConfig load(String yaml) throws IOException {
    return loader.load(Files.writeString(dir.resolve("vigil.yaml"), yaml));
  }

  private List<String> problems(String temporal) throws IOException {
    Path file = Files.writeString(dir.resolve("vigil.yaml"), temporal + REST);
    try {
      loader.load(file);
    } catch (ConfigException e) {
      return e.problems();
    }
    throw new AssertionError("expected problems with " + temporal);
  }

  /** A self-signed RSA certificate {@code <name>.pem}, its key traditional (PKCS#1) PEM. */
  private Path openssl(String name) throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(
            List.of(
                "/usr/bin/openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                name + ".pk8",
                "-out",
                name + ".pem",
                "-subj",
                "/CN=" + name,
                "-days",
                "1"));
    run(command);
    run(
        List.of(
            "/usr/bin/openssl",
            "rsa",
            "-in",
            name + ".pk8",
            "-traditional",
            "-out",
            name + ".key"));
    return dir.resolve(name + ".pem");
  }

  private void run(List<String> command) throws IOException, InterruptedException {
    Process process =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor()).as(output).isZero();
  }
}
