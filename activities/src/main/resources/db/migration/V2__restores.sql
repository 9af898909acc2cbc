-- Every restore Vigil ran: what was restored where, how long each step took, and whether the
-- restored copy validated. The target never holds a secret (a password file path at most).
CREATE TABLE restore (
    restore_id        text        PRIMARY KEY,
    run_id            text,
    backup_id         text,
    source            text,
    target_type       text        NOT NULL,
    target            jsonb       NOT NULL,
    status            text        NOT NULL CHECK (status IN ('RESTORED', 'FAILED')),
    started_at        timestamptz NOT NULL,
    finished_at       timestamptz NOT NULL,
    duration_millis   bigint      NOT NULL,
    steps             jsonb       NOT NULL DEFAULT '[]',
    validation_passed boolean,
    validation        jsonb,
    failure_type      text,
    failure_reason    text,
    requested_by      text
);

-- "The restores of this backup" (drills, retention keeping what was last restored).
CREATE INDEX restore_backup_id ON restore (backup_id);
CREATE INDEX restore_source_started_at ON restore (source, started_at DESC);
