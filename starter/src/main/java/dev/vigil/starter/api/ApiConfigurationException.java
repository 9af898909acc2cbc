package dev.vigil.starter.api;

/** The API's configuration cannot work (no tokens, an unreadable token file, ...): one line. */
public final class ApiConfigurationException extends RuntimeException {
  public ApiConfigurationException(String message) {
    super(message);
  }
}
