-- One row per try of an execution's send, so the execution log can show every attempt: the first
-- send, each automatic retry after a retryable failure, a send interrupted by the app stopping,
-- and each retry a person asked for. Written by the execution log's outbox observer in the
-- transaction that moves the outbox row (crates/hesabu-core/src/workflows/executions.rs).
--
-- started_by: event | manual | automatic | retry (who started this try)
-- outcome:    sending | sent | will_retry | failed | interrupted
CREATE TABLE workflow_execution_attempt (
    id            TEXT PRIMARY KEY,
    execution_id  TEXT NOT NULL REFERENCES workflow_execution (id),
    number        BIGINT NOT NULL,
    started_by    TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    duration_ms   BIGINT,
    error_kind    TEXT,
    error_message TEXT,
    result_ref    TEXT,
    UNIQUE (execution_id, number)
);

-- Executions sent before this table existed get one attempt from what the execution recorded
-- (their earlier automatic retries were not kept). Portable SQL: || and CASE only.
INSERT INTO workflow_execution_attempt
    (id, execution_id, number, started_by, outcome, started_at, finished_at, duration_ms,
     error_kind, error_message, result_ref)
SELECT id || '-1', id, 1, trigger,
       CASE status WHEN 'completed' THEN 'sent'
                   WHEN 'failed' THEN 'failed'
                   ELSE 'sending' END,
       started_at, completed_at, duration_ms, error_kind, error_message, result_ref
FROM workflow_execution
WHERE outbox_id IS NOT NULL AND started_at IS NOT NULL AND status <> 'pending';
