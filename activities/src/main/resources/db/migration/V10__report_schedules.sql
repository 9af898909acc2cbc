-- Schedules of kind 'report' (the daily report sent through the notifier). The check was
-- declared inline in V5, so PostgreSQL named it schedule_kind_check.
ALTER TABLE schedule DROP CONSTRAINT schedule_kind_check;
ALTER TABLE schedule ADD CONSTRAINT schedule_kind_check
    CHECK (kind IN ('backup', 'restore-test', 'drill', 'retention', 'report'));
