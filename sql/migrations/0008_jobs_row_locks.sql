-- 0008_jobs_row_locks — let vigil-retain claim rows with FOR UPDATE SKIP LOCKED.
--
-- PostgreSQL requires UPDATE privilege (on at least one column) for a
-- SELECT ... FOR UPDATE. vigil-retain deletes in batches of primary keys
-- chosen with FOR UPDATE SKIP LOCKED so that a row the application holds is
-- skipped rather than waited for. The jobs never update these tables: the
-- grant is on the primary-key column only, the narrowest grant that allows
-- the row lock, and only on the retention tables (never evidence).
SET LOCAL lock_timeout = '5s';
SET LOCAL ROLE vigil_owner;

GRANT UPDATE (id) ON vigil.audit_trails TO vigil_jobs;
GRANT UPDATE (id) ON vigil.verification_tokens TO vigil_jobs;
GRANT UPDATE (id) ON vigil.notification_outbox TO vigil_jobs;
