-- An outbox row's retry policy becomes a column, set at enqueue. Until now the outbox read it from
-- the frozen payload of a workflow (`options.retryOnFailure`), which made the storage kernel
-- depend on the workflow layer. FALSE: the first failed send dead-letters the row.
--
-- Portable SQL: a BOOLEAN with a default, and a LIKE over the payload text (no JSON functions)
-- to carry the old setting over for rows not yet sent. Payloads are written by serde_json without
-- spaces, so the pattern is exact.
ALTER TABLE outbox ADD COLUMN auto_retry BOOLEAN NOT NULL DEFAULT TRUE;

UPDATE outbox SET auto_retry = FALSE
WHERE state <> 'done' AND payload LIKE '%"retryOnFailure":false%';
