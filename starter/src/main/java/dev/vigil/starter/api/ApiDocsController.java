package dev.vigil.starter.api;

import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.swagger.v3.oas.annotations.Hidden;
import java.net.URI;

/**
 * {@code /openapi/ui}: the documented address of Swagger UI. The page and its scripts are generated
 * into the jar at build time (META-INF/swagger/views/swagger-ui, served under {@code /openapi/**}
 * like the document itself, without a token) and load nothing from elsewhere.
 */
@Controller("/openapi")
@Hidden
final class ApiDocsController {
  /** Where the generated page is served. */
  static final String SWAGGER_UI = "/openapi/views/swagger-ui/index.html";

  @Get("/ui")
  HttpResponse<Void> swaggerUi() {
    return HttpResponse.redirect(URI.create(SWAGGER_UI));
  }
}
