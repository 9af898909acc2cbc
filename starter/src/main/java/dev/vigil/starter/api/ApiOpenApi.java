package dev.vigil.starter.api;

import io.swagger.v3.oas.annotations.OpenAPIDefinition;
import io.swagger.v3.oas.annotations.enums.SecuritySchemeType;
import io.swagger.v3.oas.annotations.info.Info;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.security.SecurityScheme;

/** The OpenAPI document's header; the paths are generated from the controllers at build time. */
@OpenAPIDefinition(
    info =
        @Info(
            title = "vigil",
            version = "v1",
            description =
                "Vigil's HTTP API: start backups, restores and drills; list the catalog; follow"
                    + " runs; the daily report. Bearer tokens: viewer (GET) or operator (all)."),
    security = @SecurityRequirement(name = "bearer"))
@SecurityScheme(name = "bearer", type = SecuritySchemeType.HTTP, scheme = "bearer")
final class ApiOpenApi {
  private ApiOpenApi() {}
}
