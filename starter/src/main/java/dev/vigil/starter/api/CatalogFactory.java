package dev.vigil.starter.api;

import io.micronaut.context.annotation.Factory;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The catalog, read only: the API lists from it and never writes (runs write through the worker).
 * Unpooled like the worker's catalog: a read per request is a few milliseconds of connect.
 */
@Factory
final class CatalogFactory {
  @Singleton
  @Named("catalog")
  DataSource catalogDataSource(CatalogProperties catalog) {
    PGSimpleDataSource dataSource = new PGSimpleDataSource();
    dataSource.setURL(catalog.jdbcUrl());
    dataSource.setUser(catalog.user());
    dataSource.setPassword(
        SecretReferences.resolve(
            "catalog.password",
            catalog.passwordEnv(),
            catalog.passwordFile(),
            false,
            System::getenv));
    dataSource.setReadOnly(true);
    dataSource.setApplicationName("vigil-api");
    dataSource.setConnectTimeout(5);
    dataSource.setSocketTimeout(60);
    return dataSource;
  }
}
