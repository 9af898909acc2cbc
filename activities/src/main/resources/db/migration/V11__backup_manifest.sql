-- What a backup holds, as its manifest lists it, so the API and the console page through it
-- without reading the manifest object: every entry of a directory backup (path, type, size,
-- SHA-256) or every table of a database dump (schema.table and its row count at backup time).
-- The upload step writes it with the manifest; a retried upload replaces it; retention deletes it
-- with the backup's objects. No foreign key, like backup.set_id: the upload step does not depend on
-- the order in which the catalog learnt of the backup.
CREATE TABLE backup_entry (
    backup_id  text   NOT NULL,
    name       text   NOT NULL,
    entry_type text   NOT NULL CHECK (entry_type IN ('file', 'dir', 'symlink', 'table')),
    size_bytes bigint,
    row_count  bigint,
    sha256     text,
    PRIMARY KEY (backup_id, name)
);

-- The steps of a backup's workflow with their start and duration as the workflow saw them
-- (queueing and retries included): a JSON array of {step, startedAtMillis, durationMillis},
-- written when the backup set is recorded. NULL for backups recorded before this column.
ALTER TABLE backup ADD COLUMN steps jsonb;
