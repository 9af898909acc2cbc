-- Content-addressed storage of chunked directory backups (layout: chunked). Pack objects hold
-- encrypted chunks; a backup's snapshot names the chunks of each file and where they lie.

-- One pack object. UPLOADING is written (with the creating backup's reference) before the PUT;
-- LIVE once it is stored with its chunks listed; DELETING once a sweep found it unreferenced.
CREATE TABLE cas_pack (
    pack_key    text        PRIMARY KEY,
    repository  text        NOT NULL,
    source      text        NOT NULL,
    key_id      text        NOT NULL,
    size        bigint      NOT NULL,
    sha256      text        NOT NULL,
    state       text        NOT NULL CHECK (state IN ('UPLOADING', 'LIVE', 'DELETING')),
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cas_pack_source ON cas_pack (repository, source, state);

-- The chunks a LIVE pack holds: the dedup index of the source.
CREATE TABLE cas_chunk (
    pack_key    text    NOT NULL REFERENCES cas_pack (pack_key) ON DELETE CASCADE,
    chunk_id    text    NOT NULL,
    pack_offset bigint  NOT NULL,
    length      integer NOT NULL,
    PRIMARY KEY (pack_key, chunk_id)
);

-- The packs a backup needs. A RUNNING or ARCHIVED backup's references keep a pack from a sweep.
CREATE TABLE cas_backup_pack (
    backup_id   text NOT NULL REFERENCES backup (backup_id) ON DELETE CASCADE,
    pack_key    text NOT NULL REFERENCES cas_pack (pack_key) ON DELETE CASCADE,
    PRIMARY KEY (backup_id, pack_key)
);
CREATE INDEX cas_backup_pack_pack ON cas_backup_pack (pack_key);
