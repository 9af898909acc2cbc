package dev.vigil.workflows.restore;

/** The plaintext dump or archive in the spool (host-local path) and its size. */
public record UnsealResult(String file, long rawBytes) {}
