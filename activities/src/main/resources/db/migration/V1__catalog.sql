-- Vigil's catalog: every backup set, backup and stored object. Flyway runs this in schema vigil
-- (its history table lives there too), so the catalog can share a database with anything else.

-- One run of a backup plan. Written when the run ends, after its backups.
CREATE TABLE backup_set (
    set_id         text        PRIMARY KEY,
    plan           text        NOT NULL,
    status         text        NOT NULL,
    manifest_key   text,
    triggered_by   text,
    started_at     timestamptz NOT NULL,
    finished_at    timestamptz,
    source_count   integer     NOT NULL DEFAULT 0,
    archived_count integer     NOT NULL DEFAULT 0
);

-- One backup of one source. set_id has no foreign key: a backup starts before its set is written.
CREATE TABLE backup (
    backup_id      text        PRIMARY KEY,
    set_id         text,
    source         text        NOT NULL,
    source_type    text        NOT NULL,
    kind           text        NOT NULL,
    repository     text        NOT NULL,
    status         text        NOT NULL
                   CHECK (status IN ('RUNNING', 'ARCHIVED', 'FAILED', 'PRUNED')),
    started_at     timestamptz NOT NULL,
    finished_at    timestamptz,
    consistent_at  timestamptz,
    raw_bytes      bigint      NOT NULL DEFAULT 0,
    stored_bytes   bigint      NOT NULL DEFAULT 0,
    sha256         text,
    compression    text,
    encryption     text,
    key_id         text,
    bucket         text,
    object_key     text,
    manifest_key   text,
    storage_class  text,
    format         text,
    tool_version   text,
    server_version text,
    warnings       text[]      NOT NULL DEFAULT '{}',
    failure_type   text,
    failure_reason text,
    workflow_id    text,
    run_id         text,
    host_id        text,
    triggered_by   text
);

-- "The newest archived backup of this source" (size checks, restore, retention).
CREATE INDEX backup_source_status_consistent_at ON backup (source, status, consistent_at DESC);
CREATE INDEX backup_set_id ON backup (set_id);
CREATE INDEX backup_started_at ON backup (started_at DESC);

-- The objects a backup consists of in its bucket.
CREATE TABLE backup_object (
    backup_id     text   NOT NULL REFERENCES backup (backup_id) ON DELETE CASCADE,
    role          text   NOT NULL CHECK (role IN ('data', 'manifest')),
    bucket        text   NOT NULL,
    object_key    text   NOT NULL,
    size_bytes    bigint,
    sha256        text,
    storage_class text,
    PRIMARY KEY (backup_id, role)
);
