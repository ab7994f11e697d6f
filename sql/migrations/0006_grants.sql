-- 0006_grants — what vigil_app, vigil_jobs and vigil_auditor may do.
--
-- Grants are explicit per table, so a table added later gets nothing by
-- accident (except SELECT for vigil_auditor, through default privileges).
-- Evidence tables — ledger, evidence_nodes, media_objects,
-- verification_events, enforcement_actions, audit_cases,
-- audit_evidence_links, audit_exports, escalation_events — are never
-- DELETEd by the application or the jobs. Immutable evidence is never
-- UPDATEd by them either; the application may only change the mutable
-- columns of audit_cases (title, description, status, legal_hold) and the
-- acknowledgement columns of escalation_events.
--
-- vigil_jobs may DELETE only from the tables vigil-retain purges
-- (retention_policies: audit_trails, verification_tokens,
-- notification_outbox) and from enforcement_queue. enforcement_queue is the
-- one deviation from DESIGN §3 ("DELETE only on the tables listed in
-- retention_policies"): it is a work queue whose rows vigil-enforce removes
-- once processed, not data under retention.
SET LOCAL lock_timeout = '5s';
SET LOCAL ROLE vigil_owner;

GRANT USAGE ON SCHEMA vigil TO vigil_app, vigil_jobs, vigil_auditor;
GRANT USAGE ON TYPE vigil.cert_status, vigil.enforcement_type TO vigil_app, vigil_jobs, vigil_auditor;

-- vigil_auditor: read everything.
GRANT SELECT ON ALL TABLES IN SCHEMA vigil TO vigil_auditor;
GRANT SELECT ON ALL SEQUENCES IN SCHEMA vigil TO vigil_auditor;
ALTER DEFAULT PRIVILEGES FOR ROLE vigil_owner IN SCHEMA vigil GRANT SELECT ON TABLES TO vigil_auditor;

-- vigil_app: read, write, and delete only what an editor removes.
GRANT SELECT, INSERT, UPDATE ON
	vigil.organizations, vigil.employees, vigil.role_requirements,
	vigil.certifications, vigil.certification_enforcement,
	vigil.employee_enforcement, vigil.enforcement_queue, vigil.jhas,
	vigil.jha_acknowledgments, vigil.work_windows,
	vigil.work_window_assignments, vigil.verification_tokens,
	vigil.incidents, vigil.near_misses, vigil.projects, vigil.zones,
	vigil.proofs, vigil.audit_trails, vigil.legal_holds,
	vigil.notification_outbox
	TO vigil_app;
GRANT SELECT, INSERT ON
	vigil.ledger, vigil.evidence_nodes, vigil.media_objects,
	vigil.verification_events, vigil.enforcement_actions, vigil.audit_cases,
	vigil.audit_evidence_links, vigil.audit_exports, vigil.escalation_events
	TO vigil_app;
GRANT UPDATE (title, description, status, legal_hold) ON vigil.audit_cases TO vigil_app;
GRANT UPDATE (acknowledged, acknowledged_by, acknowledged_at) ON vigil.escalation_events TO vigil_app;
GRANT DELETE ON vigil.role_requirements, vigil.work_window_assignments, vigil.jha_acknowledgments
	TO vigil_app;
GRANT SELECT ON vigil.job_runs, vigil.retention_policies, vigil.schema_migrations TO vigil_app;

-- vigil_jobs: read everything, write what the jobs change.
GRANT SELECT ON ALL TABLES IN SCHEMA vigil TO vigil_jobs;
GRANT INSERT ON
	vigil.ledger, vigil.job_runs, vigil.enforcement_actions,
	vigil.escalation_events, vigil.notification_outbox,
	vigil.enforcement_queue, vigil.employee_enforcement,
	vigil.certification_enforcement, vigil.audit_exports
	TO vigil_jobs;
GRANT UPDATE ON
	vigil.certifications, vigil.certification_enforcement,
	vigil.employee_enforcement, vigil.enforcement_queue, vigil.zones,
	vigil.escalation_events, vigil.job_runs
	TO vigil_jobs;
GRANT DELETE ON
	vigil.audit_trails, vigil.verification_tokens, vigil.notification_outbox,
	vigil.enforcement_queue
	TO vigil_jobs;

-- Identity columns (enforcement_actions, notification_outbox, job_runs).
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA vigil TO vigil_app, vigil_jobs;

-- Functions: the canonical form is for everyone who checks the chain; the
-- trigger functions are not meant to be called directly.
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA vigil FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vigil.ledger_canonical(vigil.ledger), vigil.zone_status(uuid, text[], int)
	TO vigil_app, vigil_jobs, vigil_auditor;
GRANT EXECUTE ON FUNCTION vigil.ledger_chain(), vigil.ledger_refuse_change(),
	vigil.zones_compute_status(), vigil.proofs_refresh_zone()
	TO vigil_app, vigil_jobs;
