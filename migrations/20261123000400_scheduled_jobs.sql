-- The scheduler (issue 5): one row per scheduled job with its schedule and its last and next
-- run. Rows are created by the scheduler on first use with the built-in defaults; a person
-- changes a schedule or a job's settings with `hesabu jobs set` (audited). Per-run bookkeeping
-- (last_run_at, next_run_at, status) is the scheduler's own unaudited write, like the outbox
-- worker's attempts: the jobs audit what they do to the business themselves.
--
-- schedule: `every:<minutes>` or `daily:<HH:MM>` (the company's time zone).
-- next_run_at: the job is due when this is at or before now. A run claims the job by moving it
-- forward first (compare-and-swap), so two processes never run the same due job twice.
CREATE TABLE scheduled_job (
    name              TEXT PRIMARY KEY,
    schedule          TEXT NOT NULL,
    enabled           BOOLEAN NOT NULL,
    config            TEXT NOT NULL,      -- JSON object of the job's settings, e.g. {"keep": 10}
    next_run_at       TEXT NOT NULL,
    last_run_at       TEXT,
    last_status       TEXT,               -- ok | failed
    last_error        TEXT,
    last_duration_ms  BIGINT,
    last_result       TEXT,               -- JSON summary of what the last run did
    runs              BIGINT NOT NULL,
    failures          BIGINT NOT NULL,
    updated_at        TEXT NOT NULL
);
