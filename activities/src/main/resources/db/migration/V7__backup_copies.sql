-- Copies of archived backups and of backup-set manifests in a second repository (issue 11).
-- A copy is restorable only once VERIFIED: written (COPIED), then read back with the size and
-- SHA-256 recorded here. FAILED: written and read back wrong, or a write that did not finish; a
-- later run copies it again. PRUNING/PRUNED: retention of that repository removed it (the primary
-- and any other copy are untouched), and it is not copied again.
CREATE TABLE backup_copy (
    item_kind       text        NOT NULL CHECK (item_kind IN ('backup', 'set')),
    item_id         text        NOT NULL,
    repository      text        NOT NULL,
    source          text        NOT NULL,
    state           text        NOT NULL
                    CHECK (state IN ('COPIED', 'VERIFIED', 'FAILED', 'PRUNING', 'PRUNED')),
    bucket          text        NOT NULL,
    object_key      text        NOT NULL,
    size_bytes      bigint      NOT NULL,
    sha256          text        NOT NULL,
    manifest_key    text,
    manifest_bytes  bigint,
    manifest_sha256 text,
    copied_at       timestamptz NOT NULL,
    verified_at     timestamptz,
    pruned_at       timestamptz,
    failure_reason  text,
    PRIMARY KEY (item_kind, item_id, repository)
);
CREATE INDEX backup_copy_source_repository ON backup_copy (source, repository, state);
