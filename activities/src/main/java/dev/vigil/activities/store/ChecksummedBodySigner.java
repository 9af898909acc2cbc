package dev.vigil.activities.store;

import java.util.concurrent.CompletableFuture;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.scheme.AwsV4AuthScheme;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.scheme.AuthScheme;
import software.amazon.awssdk.http.auth.spi.signer.AsyncSignRequest;
import software.amazon.awssdk.http.auth.spi.signer.AsyncSignedRequest;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignRequest;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.IdentityProvider;
import software.amazon.awssdk.identity.spi.IdentityProviders;

/**
 * SigV4 that sends {@code UNSIGNED-PAYLOAD} over plain HTTP for a request whose body already
 * carries a CRC64NVME header (Vigil's part uploads), and signs every other request as the SDK does.
 * Over HTTP the SDK ignores {@link AwsV4FamilyHttpSigner#PAYLOAD_SIGNING_ENABLED} and hashes every
 * body with SHA-256 once more (a third hash pass per byte of a backup, on the same cores that seal
 * it). The checksum header is signed with the other headers, and the store computes the CRC of the
 * body it receives and refuses one that does not match, so the body stays checked end to end; its
 * authenticity rests on the AES-GCM seal of what Vigil stores, checked on every restore. The scheme
 * is not part of what SigV4 signs, so the request is signed as if it went over HTTPS (where the SDK
 * does honour the property) and sent over HTTP.
 */
final class ChecksummedBodySigner implements HttpSigner<AwsCredentialsIdentity> {
  /** The header Vigil sets on part uploads; the store checks the body against it. */
  static final String CHECKSUM_HEADER = "x-amz-checksum-crc64nvme";

  private final AwsV4HttpSigner delegate;

  ChecksummedBodySigner(AwsV4HttpSigner delegate) {
    this.delegate = delegate;
  }

  /** SigV4 with this signer, for {@code S3ClientBuilder.putAuthScheme}. */
  static AuthScheme<AwsCredentialsIdentity> scheme() {
    AwsV4AuthScheme defaults = AwsV4AuthScheme.create();
    ChecksummedBodySigner signer = new ChecksummedBodySigner(defaults.signer());
    return new AuthScheme<>() {
      @Override
      public String schemeId() {
        return AwsV4AuthScheme.SCHEME_ID;
      }

      @Override
      public IdentityProvider<AwsCredentialsIdentity> identityProvider(
          IdentityProviders providers) {
        return defaults.identityProvider(providers);
      }

      @Override
      public HttpSigner<AwsCredentialsIdentity> signer() {
        return signer;
      }
    };
  }

  @Override
  public SignedRequest sign(SignRequest<? extends AwsCredentialsIdentity> request) {
    SdkHttpRequest http = request.request();
    if (!"http".equals(http.protocol()) || http.firstMatchingHeader(CHECKSUM_HEADER).isEmpty()) {
      return delegate.sign(request);
    }
    int port = http.port();
    SdkHttpRequest asHttps =
        http.toBuilder().protocol("https").port(port == 80 ? 443 : port).build();
    SignedRequest signed =
        delegate.sign(
            request.copy(
                copy ->
                    copy.request(asHttps)
                        .putProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, false)));
    SdkHttpRequest back = signed.request().toBuilder().protocol("http").port(port).build();
    return signed.copy(copy -> copy.request(back));
  }

  @Override
  public CompletableFuture<AsyncSignedRequest> signAsync(
      AsyncSignRequest<? extends AwsCredentialsIdentity> request) {
    // Vigil's S3 clients are synchronous; an async one signs as the SDK does.
    return delegate.signAsync(request);
  }
}
