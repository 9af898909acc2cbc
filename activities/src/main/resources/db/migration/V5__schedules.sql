-- Schedules declared in vigil.yaml, as last applied by `vigil schedules apply`. The API and the
-- metrics read them from here (they do not load vigil.yaml); Temporal holds the live state.
CREATE TABLE schedule (
    name             text        PRIMARY KEY,
    kind             text        NOT NULL CHECK (kind IN ('backup', 'restore-test', 'drill', 'retention')),
    plan             text,
    sources          text[]      NOT NULL DEFAULT '{}',
    cron             text        NOT NULL,
    -- The nominal time between two runs, for "last drill older than its schedule allows".
    interval_seconds bigint      NOT NULL,
    catchup_window_seconds bigint NOT NULL,
    -- SCHEDULE (Temporal Schedules API) or CRON (cron workflow; no Schedules API on the server).
    mode             text        NOT NULL CHECK (mode IN ('SCHEDULE', 'CRON')),
    temporal_id      text        NOT NULL,
    applied_at       timestamptz NOT NULL,
    applied_by       text
);
