package dev.vigil.starter.api;

/** What a token may do. */
enum Role {
  /** Read: GET (and HEAD) under /api/v1. */
  VIEWER,
  /** Read, start runs and manage schedules: every method under /api/v1. */
  OPERATOR;

  boolean mayChange() {
    return this == OPERATOR;
  }
}
