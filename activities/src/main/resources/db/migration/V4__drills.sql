-- DR drill reports: one row per drill, one per component (source) it restored.

CREATE TABLE drill (
    drill_id             text        PRIMARY KEY,
    plan                 text        NOT NULL,
    status               text        NOT NULL CHECK (status IN ('PASSED', 'FAILED')),
    set_id               text,
    triggered_by         text,
    started_at           timestamptz NOT NULL,
    finished_at          timestamptz NOT NULL,
    total_rto_millis     bigint      NOT NULL DEFAULT 0,
    worst_rpo_millis     bigint      NOT NULL DEFAULT 0,
    rto_objective_millis bigint      NOT NULL DEFAULT 0,
    rpo_objective_millis bigint      NOT NULL DEFAULT 0,
    failures             text[]      NOT NULL DEFAULT '{}',
    workflow_id          text,
    run_id               text
);

-- "The last drills of this plan" (reports, alerting on a plan that has not passed lately).
CREATE INDEX drill_plan_started_at ON drill (plan, started_at DESC);

CREATE TABLE drill_component (
    drill_id             text    NOT NULL REFERENCES drill (drill_id) ON DELETE CASCADE,
    position             integer NOT NULL,
    source               text    NOT NULL,
    kind                 text,
    backup_id            text,
    status               text    NOT NULL,
    stored_bytes         bigint  NOT NULL DEFAULT 0,
    raw_bytes            bigint  NOT NULL DEFAULT 0,
    restore_millis       bigint  NOT NULL DEFAULT 0,
    rto_millis           bigint  NOT NULL DEFAULT 0,
    rpo_millis           bigint  NOT NULL DEFAULT 0,
    rto_objective_millis bigint  NOT NULL DEFAULT 0,
    rpo_objective_millis bigint  NOT NULL DEFAULT 0,
    validation           text,
    checks               text[]  NOT NULL DEFAULT '{}',
    failures             text[]  NOT NULL DEFAULT '{}',
    steps                jsonb   NOT NULL DEFAULT '[]',
    passed               boolean NOT NULL,
    PRIMARY KEY (drill_id, source)
);
