-- Retention, archival to cold storage and pruning (issue 4).

-- PRUNING: the catalog no longer offers the backup (restores pick ARCHIVED only) while its objects
-- are being deleted; PRUNED once they are gone. A crash in between leaves a row that claims nothing.
ALTER TABLE backup DROP CONSTRAINT IF EXISTS backup_status_check;
ALTER TABLE backup ADD CONSTRAINT backup_status_check
    CHECK (status IN ('RUNNING', 'ARCHIVED', 'FAILED', 'PRUNING', 'PRUNED'));

-- archived_cold_at: when the data object's cold copy became the one the catalog points at.
-- hot_object_key: the original object, until (and after) it is removed, for idempotent retries.
ALTER TABLE backup ADD COLUMN archived_cold_at timestamptz;
ALTER TABLE backup ADD COLUMN hot_object_key text;
ALTER TABLE backup ADD COLUMN pruned_at timestamptz;
ALTER TABLE backup ADD COLUMN prune_reason text;

-- Every decision of every retention run: which rule kept, archived or pruned a backup, and why.
CREATE TABLE retention_decision (
    run_id       text        NOT NULL,
    backup_id    text        NOT NULL,
    source       text        NOT NULL,
    action       text        NOT NULL CHECK (action IN ('KEEP', 'ARCHIVE', 'PRUNE')),
    rules        text[]      NOT NULL DEFAULT '{}',
    reason       text        NOT NULL,
    decided_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    applied_at   timestamptz,
    PRIMARY KEY (run_id, backup_id)
);
CREATE INDEX retention_decision_backup ON retention_decision (backup_id);

-- Files of archived table rows (one per table, month and cutoff), verified before any row is marked.
CREATE TABLE row_archive (
    object_key   text        PRIMARY KEY,
    source       text        NOT NULL,
    table_name   text        NOT NULL,
    month        text        NOT NULL,
    bucket       text        NOT NULL,
    row_count    bigint      NOT NULL,
    stored_bytes bigint      NOT NULL,
    sha256       text        NOT NULL,
    verified_at  timestamptz,
    marked_at    timestamptz
);
