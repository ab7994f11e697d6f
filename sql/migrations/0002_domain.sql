-- 0002_domain — the domain tables of DESIGN §3 and the 13 named indexes.
--
-- Enumerated text columns carry CHECK constraints; certification status and
-- enforcement action type are enums. Evidence tables (evidence_nodes,
-- media_objects, verification_events, enforcement_actions, audit_cases,
-- audit_evidence_links, audit_exports, escalation_events) reference other rows
-- without ON DELETE CASCADE: deleting a referenced row fails instead of
-- silently destroying evidence.
SET LOCAL lock_timeout = '5s';
SET LOCAL ROLE vigil_owner;

CREATE TYPE vigil.cert_status AS ENUM ('PASS', 'FAIL', 'INCOMPLETE', 'EXPIRED', 'REVOKED');
CREATE TYPE vigil.enforcement_type AS ENUM ('BLOCK', 'UNBLOCK', 'WORK_WINDOW_CONFLICT');

CREATE TABLE vigil.organizations (
	id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name       text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE vigil.employees (
	id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid NOT NULL REFERENCES vigil.organizations,
	full_name       text NOT NULL,
	email           text,
	job_role        text NOT NULL,
	status          text NOT NULL DEFAULT 'active'
	                CONSTRAINT employees_status_check CHECK (status IN ('active', 'inactive')),
	created_at      timestamptz NOT NULL DEFAULT now(),
	updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_employees_org_role ON vigil.employees (organization_id, job_role);

CREATE TABLE vigil.role_requirements (
	organization_id uuid NOT NULL REFERENCES vigil.organizations,
	job_role        text NOT NULL,
	cert_type       text NOT NULL,
	PRIMARY KEY (organization_id, job_role, cert_type)
);

CREATE TABLE vigil.certifications (
	id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	employee_id      uuid NOT NULL REFERENCES vigil.employees,
	cert_type        text NOT NULL,
	status           vigil.cert_status NOT NULL DEFAULT 'INCOMPLETE',
	issued_at        timestamptz,
	expiration_date  timestamptz,
	is_non_expiring  boolean NOT NULL DEFAULT false,
	last_verified_at timestamptz,
	preset_category  text,
	created_at       timestamptz NOT NULL DEFAULT now(),
	updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_cert_employee_status ON vigil.certifications (employee_id, status);
-- The expiry sweep and the warning scan run on this index only: its size is
-- the number of live (PASS/INCOMPLETE) certifications, its order the due date.
CREATE INDEX idx_cert_expiration_status ON vigil.certifications (expiration_date, status)
	WHERE status IN ('PASS', 'INCOMPLETE');

CREATE TABLE vigil.certification_enforcement (
	certification_id uuid PRIMARY KEY REFERENCES vigil.certifications,
	is_blocked       boolean NOT NULL DEFAULT false,
	reason           text,
	evaluated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_cert_enforcement_blocked ON vigil.certification_enforcement (is_blocked, evaluated_at);

CREATE TABLE vigil.employee_enforcement (
	employee_id        uuid PRIMARY KEY REFERENCES vigil.employees,
	is_blocked         boolean NOT NULL DEFAULT false,
	missing_cert_types text[] NOT NULL DEFAULT '{}',
	evaluated_at       timestamptz NOT NULL DEFAULT now(),
	changed_at         timestamptz
);

-- Employees whose enforcement state may be stale; vigil-enforce consumes it.
CREATE TABLE vigil.enforcement_queue (
	employee_id uuid PRIMARY KEY REFERENCES vigil.employees,
	enqueued_at timestamptz NOT NULL DEFAULT now(),
	reason      text
);
CREATE INDEX idx_enforcement_queue_enqueued ON vigil.enforcement_queue (enqueued_at);

-- target_id is text: targets are employees or certifications (uuid) today,
-- and text takes any id without a schema change.
CREATE TABLE vigil.enforcement_actions (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	action_type vigil.enforcement_type NOT NULL,
	target_type text NOT NULL,
	target_id   text NOT NULL,
	reason      text,
	details     jsonb NOT NULL DEFAULT '{}',
	run_id      bigint,
	created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_enforcement_target ON vigil.enforcement_actions (target_type, target_id, created_at);
CREATE INDEX idx_enforcement_actions_run ON vigil.enforcement_actions (run_id);

CREATE TABLE vigil.jhas (
	id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid NOT NULL REFERENCES vigil.organizations,
	title           text NOT NULL,
	created_at      timestamptz NOT NULL DEFAULT now()
);

-- The primary key carries the contract's index name.
CREATE TABLE vigil.jha_acknowledgments (
	jha_id          uuid NOT NULL REFERENCES vigil.jhas,
	employee_id     uuid NOT NULL REFERENCES vigil.employees,
	acknowledged_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT idx_jha_ack_jha_employee PRIMARY KEY (jha_id, employee_id)
);
CREATE INDEX idx_jha_ack_employee ON vigil.jha_acknowledgments (employee_id);

CREATE TABLE vigil.work_windows (
	id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid NOT NULL REFERENCES vigil.organizations,
	name            text,
	start_time      timestamptz NOT NULL,
	end_time        timestamptz NOT NULL,
	status          text NOT NULL DEFAULT 'scheduled'
	                CONSTRAINT work_windows_status_check CHECK (status IN ('scheduled', 'cancelled', 'done')),
	created_at      timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT work_windows_time_order CHECK (end_time >= start_time)
);
CREATE INDEX idx_work_window_time ON vigil.work_windows (start_time, end_time);

CREATE TABLE vigil.work_window_assignments (
	work_window_id uuid NOT NULL REFERENCES vigil.work_windows,
	employee_id    uuid NOT NULL REFERENCES vigil.employees,
	assigned_at    timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (work_window_id, employee_id)
);
CREATE INDEX idx_work_window_assignments_employee ON vigil.work_window_assignments (employee_id);

-- QR verification tokens: only the hash of the token is stored. The unique
-- constraint carries the contract's index name.
CREATE TABLE vigil.verification_tokens (
	id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	certification_id uuid NOT NULL REFERENCES vigil.certifications,
	token_hash       bytea NOT NULL CONSTRAINT idx_qr_token UNIQUE,
	issued_at        timestamptz NOT NULL DEFAULT now(),
	expires_at       timestamptz NOT NULL,
	revoked_at       timestamptz
);
CREATE INDEX idx_verification_tokens_certification ON vigil.verification_tokens (certification_id);
CREATE INDEX idx_verification_tokens_expires_at ON vigil.verification_tokens (expires_at);

CREATE TABLE vigil.verification_events (
	id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	verification_token_id uuid NOT NULL REFERENCES vigil.verification_tokens,
	scanned_at            timestamptz NOT NULL DEFAULT now(),
	verified_by           text,
	location              text,
	result                text NOT NULL
);
CREATE INDEX idx_verification_events ON vigil.verification_events (verification_token_id, scanned_at);

CREATE TABLE vigil.projects (
	id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid NOT NULL REFERENCES vigil.organizations,
	name            text NOT NULL,
	created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_projects_organization ON vigil.projects (organization_id);

CREATE TABLE vigil.incidents (
	id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid NOT NULL REFERENCES vigil.organizations,
	project_id      uuid REFERENCES vigil.projects,
	occurred_at     timestamptz NOT NULL,
	title           text,
	description     text,
	severity        text NOT NULL DEFAULT 'low'
	                CONSTRAINT incidents_severity_check CHECK (severity IN ('low', 'medium', 'high', 'critical')),
	reported_by     text,
	created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_incident_org_occurred ON vigil.incidents (organization_id, occurred_at);

CREATE TABLE vigil.near_misses (
	id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid REFERENCES vigil.organizations,
	project_id      uuid REFERENCES vigil.projects,
	category        text NOT NULL,
	reported_at     timestamptz NOT NULL,
	description     text,
	severity        text NOT NULL DEFAULT 'low'
	                CONSTRAINT near_misses_severity_check CHECK (severity IN ('low', 'medium', 'high', 'critical')),
	reported_by     text,
	created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_near_miss_category_reported ON vigil.near_misses (category, reported_at);

-- entity_id is text: evidence can be about rows with uuid or bigint ids.
CREATE TABLE vigil.evidence_nodes (
	id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	entity_type text NOT NULL,
	entity_id   text NOT NULL,
	created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_evidence_entity ON vigil.evidence_nodes (entity_type, entity_id);

-- The file is media_root/storage_key: the key is a relative path that cannot
-- climb out of media_root.
CREATE TABLE vigil.media_objects (
	id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	evidence_node_id uuid NOT NULL REFERENCES vigil.evidence_nodes,
	file_name        text NOT NULL,
	content_type     text NOT NULL,
	byte_size        bigint NOT NULL CONSTRAINT media_objects_byte_size_check CHECK (byte_size >= 0),
	sha256           bytea NOT NULL CONSTRAINT media_objects_sha256_check CHECK (octet_length(sha256) = 32),
	storage_key      text NOT NULL UNIQUE
	                 CONSTRAINT media_objects_storage_key_check
	                 CHECK (storage_key <> '' AND storage_key !~ '(^/|\\|(^|/)\.\.?(/|$)|[[:cntrl:]])'),
	created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_media_objects_evidence_node ON vigil.media_objects (evidence_node_id);

CREATE TABLE vigil.audit_cases (
	id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid NOT NULL REFERENCES vigil.organizations,
	title           text NOT NULL,
	description     text,
	status          text NOT NULL DEFAULT 'open',
	legal_hold      boolean NOT NULL DEFAULT false,
	created_by      text NOT NULL DEFAULT current_user,
	created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_audit_cases_organization ON vigil.audit_cases (organization_id);

-- The primary key carries the contract's index name.
CREATE TABLE vigil.audit_evidence_links (
	audit_case_id    uuid NOT NULL REFERENCES vigil.audit_cases,
	evidence_node_id uuid NOT NULL REFERENCES vigil.evidence_nodes,
	attached_by      text NOT NULL DEFAULT current_user,
	attached_at      timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT idx_audit_evidence_link PRIMARY KEY (audit_case_id, evidence_node_id)
);
CREATE INDEX idx_audit_evidence_links_node ON vigil.audit_evidence_links (evidence_node_id);

-- One row per distinct package produced for a case (same state, as-of and
-- key give the same bytes, hence the same package_sha256).
CREATE TABLE vigil.audit_exports (
	id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	audit_case_id   uuid NOT NULL REFERENCES vigil.audit_cases,
	run_id          bigint,
	as_of           timestamptz NOT NULL,
	package_sha256  bytea NOT NULL CONSTRAINT audit_exports_package_sha256_check CHECK (octet_length(package_sha256) = 32),
	manifest_sha256 bytea NOT NULL CONSTRAINT audit_exports_manifest_sha256_check CHECK (octet_length(manifest_sha256) = 32),
	key_fingerprint text NOT NULL,
	file_name       text NOT NULL,
	byte_size       bigint NOT NULL CONSTRAINT audit_exports_byte_size_check CHECK (byte_size >= 0),
	created_at      timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT audit_exports_case_package_key UNIQUE (audit_case_id, package_sha256)
);

CREATE TABLE vigil.zones (
	id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	project_id               uuid NOT NULL REFERENCES vigil.projects,
	name                     text NOT NULL,
	required_proof_types     text[] NOT NULL DEFAULT '{}'
	                         CONSTRAINT zones_required_proof_types_check
	                         CHECK (required_proof_types <@ ARRAY['photo', 'video', 'document']::text[]),
	required_proof_count     int NOT NULL DEFAULT 0
	                         CONSTRAINT zones_required_proof_count_check CHECK (required_proof_count >= 0),
	computed_status          text NOT NULL DEFAULT 'RED'
	                         CONSTRAINT zones_computed_status_check CHECK (computed_status IN ('RED', 'GREEN')),
	status_computed_at       timestamptz,
	current_escalation_level int NOT NULL DEFAULT 0
	                         CONSTRAINT zones_current_escalation_level_check CHECK (current_escalation_level >= 0),
	last_escalated_at        timestamptz,
	readiness_deadline       timestamptz,
	escalation_policy        jsonb,
	created_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_zones_project ON vigil.zones (project_id);
-- What vigil-escalate scans: RED zones by deadline.
CREATE INDEX idx_zones_red_deadline ON vigil.zones (readiness_deadline) WHERE computed_status = 'RED';

CREATE TABLE vigil.proofs (
	id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	zone_id         uuid NOT NULL REFERENCES vigil.zones,
	proof_type      text NOT NULL
	                CONSTRAINT proofs_proof_type_check CHECK (proof_type IN ('photo', 'video', 'document')),
	uploaded_by     text,
	is_valid        boolean NOT NULL DEFAULT true,
	media_object_id uuid REFERENCES vigil.media_objects,
	created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_proofs_zone ON vigil.proofs (zone_id);
CREATE INDEX idx_proofs_media_object ON vigil.proofs (media_object_id);

CREATE TABLE vigil.escalation_events (
	id                              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	zone_id                         uuid NOT NULL REFERENCES vigil.zones,
	project_id                      uuid NOT NULL REFERENCES vigil.projects,
	level                           int NOT NULL CONSTRAINT escalation_events_level_check CHECK (level >= 1),
	triggered_at                    timestamptz NOT NULL DEFAULT now(),
	recipients                      jsonb NOT NULL DEFAULT '[]',
	threshold_minutes_past_deadline int NOT NULL DEFAULT 0,
	new_deadline_set_to             timestamptz,
	acknowledged                    boolean NOT NULL DEFAULT false,
	acknowledged_by                 text,
	acknowledged_at                 timestamptz,
	status                          text NOT NULL DEFAULT 'active'
	                                CONSTRAINT escalation_events_status_check CHECK (status IN ('active', 'resolved')),
	resolved_at                     timestamptz,
	run_id                          bigint
);
CREATE INDEX idx_escalation_events_zone_status ON vigil.escalation_events (zone_id, status);
CREATE INDEX idx_escalation_events_project ON vigil.escalation_events (project_id);

-- AI-assistant call records; purged by vigil-retain (7 days by default).
CREATE TABLE vigil.audit_trails (
	id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	message_id     text NOT NULL UNIQUE,
	project_id     uuid REFERENCES vigil.projects,
	"timestamp"    timestamptz NOT NULL,
	model          text,
	reasoning      jsonb,
	context_layers jsonb,
	tokens         jsonb,
	cost           jsonb,
	created_at     timestamptz NOT NULL DEFAULT now(),
	updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_audit_trails_timestamp ON vigil.audit_trails ("timestamp");
CREATE INDEX idx_audit_trails_project ON vigil.audit_trails (project_id);

-- A hold is active while released_at IS NULL.
CREATE TABLE vigil.legal_holds (
	id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	scope_type  text NOT NULL
	            CONSTRAINT legal_holds_scope_type_check CHECK (scope_type IN ('organization', 'project', 'audit_case')),
	scope_id    uuid NOT NULL,
	reason      text NOT NULL,
	created_by  text NOT NULL DEFAULT current_user,
	created_at  timestamptz NOT NULL DEFAULT now(),
	released_at timestamptz,
	CONSTRAINT legal_holds_release_order CHECK (released_at IS NULL OR released_at >= created_at)
);
CREATE INDEX idx_legal_holds_active ON vigil.legal_holds (scope_type, scope_id) WHERE released_at IS NULL;

-- Jobs never send mail: they queue here, a mailer drains the table.
CREATE TABLE vigil.notification_outbox (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind            text NOT NULL,
	organization_id uuid REFERENCES vigil.organizations,
	recipient_role  text,
	payload         jsonb NOT NULL DEFAULT '{}',
	dedupe_key      text NOT NULL UNIQUE,
	created_at      timestamptz NOT NULL DEFAULT now(),
	delivered_at    timestamptz
);
CREATE INDEX idx_notification_outbox_delivered_at ON vigil.notification_outbox (delivered_at);
