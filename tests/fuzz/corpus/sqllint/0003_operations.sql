-- 0003_operations — job run records and retention policies.
--
-- retention_policies names the only tables vigil-retain may delete from; a
-- CHECK keeps evidence tables out of it whatever the grants say.
SET LOCAL lock_timeout = '5s';
SET LOCAL ROLE vigil_owner;

CREATE TABLE vigil.job_runs (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	job         text NOT NULL,
	status      text NOT NULL DEFAULT 'running'
	            CONSTRAINT job_runs_status_check
	            CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted', 'abandoned')),
	as_of       timestamptz,
	started_at  timestamptz NOT NULL DEFAULT now(),
	finished_at timestamptz,
	params      jsonb DEFAULT '{}',
	counts      jsonb DEFAULT '{}',
	error       text,
	host        text,
	pid         int,
	version     text
);
CREATE INDEX idx_job_runs_job_status ON vigil.job_runs (job, status);
CREATE INDEX idx_job_runs_started_at ON vigil.job_runs (started_at);

CREATE TABLE vigil.retention_policies (
	table_name    text PRIMARY KEY
	              CONSTRAINT retention_policies_table_name_check CHECK (table_name ~ '^[a-z_][a-z0-9_]*$')
	              CONSTRAINT retention_policies_not_evidence CHECK (table_name NOT IN (
	                  'ledger', 'evidence_nodes', 'media_objects', 'verification_events',
	                  'enforcement_actions', 'audit_cases', 'audit_evidence_links',
	                  'audit_exports', 'escalation_events')),
	time_column   text NOT NULL
	              CONSTRAINT retention_policies_time_column_check CHECK (time_column ~ '^[a-z_][a-z0-9_]*$'),
	keep_interval interval NOT NULL
	              CONSTRAINT retention_policies_keep_interval_check CHECK (keep_interval > interval '0'),
	enabled       boolean NOT NULL DEFAULT true
);
