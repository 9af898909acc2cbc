package dev.vigil.starter.api;

/** The authenticated caller of a request: a token's name and role, never the token. */
record Caller(String name, Role role) {
  /** The request attribute the auth filter sets. */
  static final String ATTRIBUTE = "vigil.caller";

  /** What runs started by this caller record as who triggered them. */
  String triggeredBy() {
    return "api:" + name;
  }
}
