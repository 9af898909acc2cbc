package dev.vigil.infra.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.internal.GrpcUtil;
import io.temporal.serviceclient.Version;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.util.VersionInfo;

/**
 * The launcher's classpath (infra's runtime dependencies, copied to target/lib) has the versions
 * the parent pins. Micronaut's BOM, imported by infra and starter for the API, names older AWS SDK,
 * gRPC and protobuf versions; without the re-imported BOMs the CLI would run activities' code on
 * libraries it was not built or tested against.
 */
class DependencyAlignmentTest {
  @Test
  void awsSdkTemporalAndGrpcAreTheVersionsTheParentPins() throws ReflectiveOperationException {
    assertThat(loaded(VersionInfo.class, "SDK_VERSION"))
        .isEqualTo(System.getProperty("vigil.expected.awssdk"));
    assertThat(loaded(Version.class, "LIBRARY_VERSION"))
        .isEqualTo(System.getProperty("vigil.expected.temporal"));
    assertThat(loaded(GrpcUtil.class, "IMPLEMENTATION_VERSION"))
        .startsWith(System.getProperty("vigil.expected.grpc"));
  }

  /**
   * The constant as the class on the classpath has it: a compile-time constant read directly would
   * be the one this test was compiled against.
   */
  private static String loaded(Class<?> type, String field) throws ReflectiveOperationException {
    return (String) type.getField(field).get(null);
  }
}
