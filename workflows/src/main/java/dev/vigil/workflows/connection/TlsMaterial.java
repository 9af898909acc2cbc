package dev.vigil.workflows.connection;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The certificates and key of a {@link TemporalTls}, read and checked: files readable, PEM parsed,
 * certificates valid now, key matching the certificate. Problems are collected as one line each,
 * naming the setting; no message carries key material.
 */
final class TlsMaterial {
  private static final Pattern PEM =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*)-----END \\1-----");

  final List<X509Certificate> serverCa;
  final List<X509Certificate> clientChain;
  final PrivateKey clientKey;
  final List<String> problems;

  private TlsMaterial(
      List<X509Certificate> serverCa,
      List<X509Certificate> clientChain,
      PrivateKey clientKey,
      List<String> problems) {
    this.serverCa = serverCa;
    this.clientChain = clientChain;
    this.clientKey = clientKey;
    this.problems = problems;
  }

  static TlsMaterial read(TemporalTls tls, Function<String, String> environment, Instant now) {
    List<String> problems = new ArrayList<>();
    List<X509Certificate> ca = List.of();
    if (tls.serverCa() != null) {
      ca = certificates(tls.serverCa(), environment, now, problems);
    }
    if ((tls.clientCert() == null) != (tls.clientKey() == null)) {
      TemporalReference given = tls.clientCert() != null ? tls.clientCert() : tls.clientKey();
      String other =
          tls.clientCert() != null ? "temporal.tls.client-key" : "temporal.tls.client-cert";
      problems.add(
          given.setting()
              + ": set together with "
              + other
              + " (mutual TLS needs the certificate and its key); add it or remove this one");
      return new TlsMaterial(ca, List.of(), null, problems);
    }
    List<X509Certificate> chain = List.of();
    PrivateKey key = null;
    if (tls.clientCert() != null) {
      chain = certificates(tls.clientCert(), environment, now, problems);
      String keyText = text(tls.clientKey(), environment, problems);
      if (keyText != null) {
        key = privateKey(tls.clientKey(), keyText, chain, problems);
      }
    }
    return new TlsMaterial(ca, chain, key, problems);
  }

  /** The reference's text, or null with a problem when it cannot be read. */
  static String text(
      TemporalReference reference, Function<String, String> environment, List<String> problems) {
    if (reference.env() != null) {
      String value = environment.apply(reference.env());
      if (value == null || value.isBlank()) {
        problems.add(
            reference.setting()
                + ": environment variable "
                + reference.env()
                + " is not set; export it and start again");
        return null;
      }
      return value;
    }
    try {
      return Files.readString(reference.file(), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      problems.add(reference.setting() + ": no such file " + reference.file() + "; fix the path");
    } catch (AccessDeniedException e) {
      problems.add(
          reference.setting()
              + ": cannot read "
              + reference.file()
              + " (permission denied); check its owner and mode");
    } catch (IOException e) {
      problems.add(reference.setting() + ": cannot read " + reference.file());
    }
    return null;
  }

  private static List<X509Certificate> certificates(
      TemporalReference reference,
      Function<String, String> environment,
      Instant now,
      List<String> problems) {
    String text = text(reference, environment, problems);
    if (text == null) {
      return List.of();
    }
    List<X509Certificate> certificates = new ArrayList<>();
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (byte[] block : blocks(text, "CERTIFICATE")) {
        certificates.add(
            (X509Certificate) factory.generateCertificate(new ByteArrayInputStream(block)));
      }
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      problems.add(
          reference.setting()
              + ": "
              + reference.describe()
              + " holds a CERTIFICATE block that does not parse as X.509");
      return List.of();
    }
    if (certificates.isEmpty()) {
      problems.add(
          reference.setting()
              + ": "
              + reference.describe()
              + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
      return List.of();
    }
    for (X509Certificate certificate : certificates) {
      String subject = certificate.getSubjectX500Principal().getName();
      if (now.isAfter(certificate.getNotAfter().toInstant())) {
        problems.add(
            reference.setting()
                + ": certificate expired on "
                + certificate.getNotAfter().toInstant()
                + " ("
                + subject
                + " in "
                + reference.describe()
                + "); renew it");
      } else if (now.isBefore(certificate.getNotBefore().toInstant())) {
        problems.add(
            reference.setting()
                + ": certificate is not valid before "
                + certificate.getNotBefore().toInstant()
                + " ("
                + subject
                + " in "
                + reference.describe()
                + "); check this host's clock");
      }
    }
    return certificates;
  }

  private static PrivateKey privateKey(
      TemporalReference reference,
      String text,
      List<X509Certificate> chain,
      List<String> problems) {
    Matcher pem = PEM.matcher(text);
    if (!pem.find()) {
      problems.add(
          reference.setting()
              + ": "
              + reference.describe()
              + " holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
      return null;
    }
    String type = pem.group(1);
    if (!type.equals("PRIVATE KEY")) {
      problems.add(
          reference.setting()
              + ": "
              + reference.describe()
              + " holds a "
              + type
              + "; Vigil reads unencrypted PKCS#8 keys, convert it with: openssl pkcs8 -topk8"
              + " -nocrypt -in KEY -out KEY.pk8");
      return null;
    }
    if (chain.isEmpty()) {
      return null; // the certificate's own problem is reported; nothing to match the key with
    }
    PublicKey certificateKey = chain.get(0).getPublicKey();
    PrivateKey key;
    try {
      key =
          KeyFactory.getInstance(certificateKey.getAlgorithm())
              .generatePrivate(new PKCS8EncodedKeySpec(decode(pem.group(2))));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      problems.add(
          reference.setting()
              + ": the key in "
              + reference.describe()
              + " is not a "
              + certificateKey.getAlgorithm()
              + " key, so it does not match temporal.tls.client-cert; use the certificate's key");
      return null;
    }
    if (!matches(key, certificateKey)) {
      problems.add(
          reference.setting()
              + ": the key in "
              + reference.describe()
              + " does not match the certificate of temporal.tls.client-cert ("
              + chain.get(0).getSubjectX500Principal().getName()
              + "); use the key the certificate was issued for");
      return null;
    }
    return key;
  }

  /** Whether {@code key} signs what {@code publicKey} verifies. */
  private static boolean matches(PrivateKey key, PublicKey publicKey) {
    String algorithm =
        switch (publicKey.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          case "Ed25519", "EdDSA" -> "Ed25519";
          case "Ed448" -> "Ed448";
          default -> null;
        };
    if (algorithm == null) {
      return true; // an unusual key type: the handshake will tell
    }
    try {
      byte[] probe = new byte[32];
      new SecureRandom().nextBytes(probe);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static List<byte[]> blocks(String text, String type) {
    List<byte[]> blocks = new ArrayList<>();
    Matcher pem = PEM.matcher(text);
    while (pem.find()) {
      if (pem.group(1).equals(type)) {
        blocks.add(decode(pem.group(2)));
      }
    }
    return blocks;
  }

  private static byte[] decode(String base64) {
    return Base64.getMimeDecoder().decode(base64.replaceAll("\\s", ""));
  }
}
