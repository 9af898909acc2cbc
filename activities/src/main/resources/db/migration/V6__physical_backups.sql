-- Physical (pg_basebackup) backups: where their WAL starts and ends. NULL for logical dumps and
-- directories. pg_lsn orders and compares LSNs, which PITR and WAL retention will need.
ALTER TABLE backup
    ADD COLUMN backup_mode        text CHECK (backup_mode IN ('logical', 'physical')),
    ADD COLUMN start_lsn          pg_lsn,
    ADD COLUMN stop_lsn           pg_lsn,
    ADD COLUMN timeline           integer,
    ADD COLUMN backup_started_at  timestamptz,
    ADD COLUMN backup_stopped_at  timestamptz;

CREATE INDEX backup_source_timeline_stop_lsn ON backup (source, timeline, stop_lsn)
    WHERE backup_mode = 'physical';
