-- state.sql — what tests/badinput/run compares before and after each case,
-- printed as key=value lines by one psql call (psql -f, \if on the schema).
--   ns        1 when schema vigil exists
--   rels      every relation outside the system schemas, by name
--   data      md5 over the rows the jobs write (job_runs and job.finished
--             ledger entries aside: a failed run records its failure)
--   runs maxrun running ledger   job_runs count, last id, rows still
--             'running', ledger entries
--   version   the last applied migration
SELECT (to_regclass('vigil.job_runs') IS NOT NULL) AS has_runs,
	(to_regclass('vigil.certifications') IS NOT NULL AND to_regclass('vigil.audit_exports') IS NOT NULL
	 AND to_regclass('vigil.ledger') IS NOT NULL) AS has_data,
	(to_regclass('vigil.schema_migrations') IS NOT NULL) AS has_migrations \gset
SELECT 'ns=' || count(*) FROM pg_namespace WHERE nspname = 'vigil';
SELECT 'rels=' || coalesce(string_agg(n.nspname || '.' || c.relname, ',' ORDER BY n.nspname, c.relname), '')
	FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast');
\if :has_data
SELECT 'data=' || md5(string_agg(x, '|' ORDER BY x)) FROM (
	SELECT 'c' || id || status FROM vigil.certifications
	UNION ALL SELECT 'ce' || certification_id || is_blocked FROM vigil.certification_enforcement
	UNION ALL SELECT 'ee' || employee_id || is_blocked || coalesce(array_to_string(missing_cert_types, ','), '')
		FROM vigil.employee_enforcement
	UNION ALL SELECT 'ea' || id FROM vigil.enforcement_actions
	UNION ALL SELECT 'eq' || employee_id FROM vigil.enforcement_queue
	UNION ALL SELECT 'no' || id FROM vigil.notification_outbox
	UNION ALL SELECT 'z' || id || current_escalation_level || coalesce(readiness_deadline::text, '') FROM vigil.zones
	UNION ALL SELECT 'ev' || id || status FROM vigil.escalation_events
	UNION ALL SELECT 'at' || id FROM vigil.audit_trails
	UNION ALL SELECT 'vt' || id FROM vigil.verification_tokens
	UNION ALL SELECT 'ax' || id FROM vigil.audit_exports
	UNION ALL SELECT 'l' || seq FROM vigil.ledger WHERE event_type <> 'job.finished') s(x);
\endif
\if :has_runs
SELECT 'runs=' || count(*), 'maxrun=' || coalesce(max(id), 0),
	'running=' || count(*) FILTER (WHERE status = 'running') FROM vigil.job_runs;
\endif
\if :has_data
SELECT 'ledger=' || count(*) FROM vigil.ledger;
\endif
\if :has_migrations
SELECT 'version=' || coalesce(max(version), 0) || ' checksums=' || md5(coalesce(string_agg(version || encode(checksum, 'hex'), ',' ORDER BY version), ''))
	FROM vigil.schema_migrations;
\endif
