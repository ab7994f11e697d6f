-- samples/fixture.sql — the small deterministic fixture for the demo and CI.
--
-- Reference as-of: 2026-06-01T00:00:00Z. Every expectation in samples/README.md
-- (which certifications are due, which zones escalate, what retention purges)
-- is stated for that instant.
--
-- Load as a superuser into a freshly migrated database:
--   psql -v ON_ERROR_STOP=1 -f samples/fixture.sql
-- All ids and timestamps are literals; nothing uses random() or now(). The
-- only load-time values are the ledger's created_at and hashes (the ledger
-- trigger sets them; seq is deterministic: 1..10 in a fresh database) and the
-- identity ids of enforcement_actions and notification_outbox (1..n in a
-- fresh database). Zone statuses are computed by the proofs trigger: proofs
-- are inserted after their zones.
--
-- Id scheme: the first group says the table, the last digits the row.
--   10000000-… organizations   20000000-… employees       30000000-… certifications
--   40000000-… work_windows    50000000-… projects        60000000-… zones
--   61000000-… proofs          62000000-… escalation_ev.  70000000-… evidence_nodes
--   71000000-… media_objects   80000000-… audit_cases     90000000-… verification_tokens
--   91000000-… verification_ev a0000000-… jhas            b0000000-… incidents
--   b1000000-… near_misses     c0000000-… legal_holds     d0000000-… audit_trails

\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET TIME ZONE 'UTC';
BEGIN;

-- Organizations ------------------------------------------------------------
INSERT INTO vigil.organizations (id, name, created_at) VALUES
	('10000000-0000-4000-8000-000000000001', 'Northwind Construction', '2025-01-01T00:00:00Z'),
	('10000000-0000-4000-8000-000000000002', 'Harbor Electric',        '2025-01-01T00:00:00Z');

-- What every employee of a role must hold. org_admin requires nothing.
INSERT INTO vigil.role_requirements (organization_id, job_role, cert_type) VALUES
	('10000000-0000-4000-8000-000000000001', 'electrician',      'electrical_safety'),
	('10000000-0000-4000-8000-000000000001', 'electrician',      'first_aid'),
	('10000000-0000-4000-8000-000000000001', 'welder',           'hot_work'),
	('10000000-0000-4000-8000-000000000001', 'welder',           'first_aid'),
	('10000000-0000-4000-8000-000000000001', 'site_coordinator', 'first_aid'),
	('10000000-0000-4000-8000-000000000001', 'project_manager',  'osha_30'),
	('10000000-0000-4000-8000-000000000002', 'electrician',      'electrical_safety'),
	('10000000-0000-4000-8000-000000000002', 'site_coordinator', 'first_aid'),
	('10000000-0000-4000-8000-000000000002', 'project_manager',  'osha_30');

-- Employees ----------------------------------------------------------------
INSERT INTO vigil.employees (id, organization_id, full_name, email, job_role, status, created_at, updated_at) VALUES
	('20000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', 'Alice Abbott',  'alice@northwind.example', 'electrician',      'active',   '2025-01-02T00:00:00Z', '2025-01-02T00:00:00Z'),
	('20000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000001', 'Bob Brennan',   'bob@northwind.example',   'welder',           'active',   '2025-01-02T00:00:00Z', '2025-01-02T00:00:00Z'),
	('20000000-0000-4000-8000-000000000003', '10000000-0000-4000-8000-000000000001', 'Carol Chen',    'carol@northwind.example', 'electrician',      'active',   '2025-01-02T00:00:00Z', '2025-01-02T00:00:00Z'),
	('20000000-0000-4000-8000-000000000004', '10000000-0000-4000-8000-000000000001', 'Dan Diaz',      'dan@northwind.example',   'welder',           'active',   '2025-01-02T00:00:00Z', '2025-01-02T00:00:00Z'),
	('20000000-0000-4000-8000-000000000005', '10000000-0000-4000-8000-000000000001', 'Erin Evans',    'erin@northwind.example',  'site_coordinator', 'active',   '2025-01-02T00:00:00Z', '2025-01-02T00:00:00Z'),
	('20000000-0000-4000-8000-000000000006', '10000000-0000-4000-8000-000000000001', 'Frank Foster',  'frank@northwind.example', 'electrician',      'active',   '2025-01-02T00:00:00Z', '2025-01-02T00:00:00Z'),
	('20000000-0000-4000-8000-000000000007', '10000000-0000-4000-8000-000000000001', 'Grace Gupta',   'grace@northwind.example', 'project_manager',  'active',   '2025-01-02T00:00:00Z', '2025-01-02T00:00:00Z'),
	('20000000-0000-4000-8000-000000000008', '10000000-0000-4000-8000-000000000001', 'Henry Hale',    'henry@northwind.example', 'org_admin',        'active',   '2025-01-02T00:00:00Z', '2025-01-02T00:00:00Z'),
	('20000000-0000-4000-8000-000000000009', '10000000-0000-4000-8000-000000000001', 'Ivy Ito',       'ivy@northwind.example',   'welder',           'inactive', '2025-01-02T00:00:00Z', '2026-02-01T00:00:00Z'),
	('20000000-0000-4000-8000-000000000010', '10000000-0000-4000-8000-000000000001', 'Jack Jensen',   'jack@northwind.example',  'electrician',      'active',   '2025-01-02T00:00:00Z', '2025-01-02T00:00:00Z'),
	('20000000-0000-4000-8000-000000000011', '10000000-0000-4000-8000-000000000002', 'Kim Kowalski',  'kim@harbor.example',      'electrician',      'active',   '2025-01-02T00:00:00Z', '2025-01-02T00:00:00Z'),
	('20000000-0000-4000-8000-000000000012', '10000000-0000-4000-8000-000000000002', 'Leo Larsen',    'leo@harbor.example',      'site_coordinator', 'active',   '2025-01-02T00:00:00Z', '2025-01-02T00:00:00Z'),
	('20000000-0000-4000-8000-000000000013', '10000000-0000-4000-8000-000000000002', 'Mia Moreau',    'mia@harbor.example',      'project_manager',  'active',   '2025-01-02T00:00:00Z', '2025-01-02T00:00:00Z');

-- Certifications (see the table in samples/README.md) ------------------------
INSERT INTO vigil.certifications (id, employee_id, cert_type, status, issued_at, expiration_date, is_non_expiring, last_verified_at, preset_category, created_at, updated_at) VALUES
	-- C01 non-expiring PASS: never due
	('30000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000001', 'electrical_safety', 'PASS',       '2024-01-10T00:00:00Z', NULL,                              true,  '2026-05-01T00:00:00Z', 'electrical', '2024-01-10T00:00:00Z', '2024-01-10T00:00:00Z'),
	-- C02 PASS expiring exactly at as-of: due (boundary, <=)
	('30000000-0000-4000-8000-000000000002', '20000000-0000-4000-8000-000000000001', 'first_aid',         'PASS',       '2024-06-01T00:00:00Z', '2026-06-01T00:00:00Z',            false, NULL,                   'medical',    '2024-06-01T00:00:00Z', '2024-06-01T00:00:00Z'),
	-- C03 PASS already past (2026-05-15): due
	('30000000-0000-4000-8000-000000000003', '20000000-0000-4000-8000-000000000002', 'hot_work',          'PASS',       '2025-05-15T00:00:00Z', '2026-05-15T00:00:00Z',            false, NULL,                   'welding',    '2025-05-15T00:00:00Z', '2025-05-15T00:00:00Z'),
	-- C04 PASS expiring 12 h after as-of: warned at 1, 7 and 30 days
	('30000000-0000-4000-8000-000000000004', '20000000-0000-4000-8000-000000000002', 'first_aid',         'PASS',       '2024-06-01T12:00:00Z', '2026-06-01T12:00:00Z',            false, NULL,                   'medical',    '2024-06-01T12:00:00Z', '2024-06-01T12:00:00Z'),
	-- C05 PASS expiring in 4 days: warned at 7 and 30 days
	('30000000-0000-4000-8000-000000000005', '20000000-0000-4000-8000-000000000003', 'electrical_safety', 'PASS',       '2025-06-05T00:00:00Z', '2026-06-05T00:00:00Z',            false, NULL,                   'electrical', '2025-06-05T00:00:00Z', '2025-06-05T00:00:00Z'),
	-- C06 PASS expiring in 19 days: warned at 30 days only
	('30000000-0000-4000-8000-000000000006', '20000000-0000-4000-8000-000000000003', 'first_aid',         'PASS',       '2024-06-20T00:00:00Z', '2026-06-20T00:00:00Z',            false, NULL,                   'medical',    '2024-06-20T00:00:00Z', '2024-06-20T00:00:00Z'),
	-- C07 PASS expiring 2026-09-01: further out, no warning
	('30000000-0000-4000-8000-000000000007', '20000000-0000-4000-8000-000000000004', 'hot_work',          'PASS',       '2025-09-01T00:00:00Z', '2026-09-01T00:00:00Z',            false, NULL,                   'welding',    '2025-09-01T00:00:00Z', '2025-09-01T00:00:00Z'),
	-- C08 INCOMPLETE already past (2026-04-01): due (INCOMPLETE expires too)
	('30000000-0000-4000-8000-000000000008', '20000000-0000-4000-8000-000000000004', 'first_aid',         'INCOMPLETE', '2025-04-01T00:00:00Z', '2026-04-01T00:00:00Z',            false, NULL,                   'medical',    '2025-04-01T00:00:00Z', '2025-04-01T00:00:00Z'),
	-- C09 PASS with NULL expiration_date and not non-expiring: a data problem;
	--     never due, but not valid for enforcement either
	('30000000-0000-4000-8000-000000000009', '20000000-0000-4000-8000-000000000005', 'first_aid',         'PASS',       '2025-03-01T00:00:00Z', NULL,                              false, NULL,                   'medical',    '2025-03-01T00:00:00Z', '2025-03-01T00:00:00Z'),
	-- C10 non-expiring PASS (Frank has no first_aid at all)
	('30000000-0000-4000-8000-000000000010', '20000000-0000-4000-8000-000000000006', 'electrical_safety', 'PASS',       '2023-02-01T00:00:00Z', NULL,                              true,  NULL,                   'electrical', '2023-02-01T00:00:00Z', '2023-02-01T00:00:00Z'),
	-- C11 non-expiring PASS
	('30000000-0000-4000-8000-000000000011', '20000000-0000-4000-8000-000000000007', 'osha_30',           'PASS',       '2022-05-01T00:00:00Z', NULL,                              true,  NULL,                   'safety',     '2022-05-01T00:00:00Z', '2022-05-01T00:00:00Z'),
	-- C12 PASS past (2026-05-01) of an inactive employee: due
	('30000000-0000-4000-8000-000000000012', '20000000-0000-4000-8000-000000000009', 'hot_work',          'PASS',       '2025-05-01T00:00:00Z', '2026-05-01T00:00:00Z',            false, NULL,                   'welding',    '2025-05-01T00:00:00Z', '2025-05-01T00:00:00Z'),
	-- C13 FAIL (expiry in the future): never due, never valid
	('30000000-0000-4000-8000-000000000013', '20000000-0000-4000-8000-000000000010', 'electrical_safety', 'FAIL',       '2026-01-15T00:00:00Z', '2027-01-15T00:00:00Z',            false, NULL,                   'electrical', '2026-01-15T00:00:00Z', '2026-01-15T00:00:00Z'),
	-- C14 REVOKED (expiry in the past): never due
	('30000000-0000-4000-8000-000000000014', '20000000-0000-4000-8000-000000000010', 'electrical_safety', 'REVOKED',    '2025-05-20T00:00:00Z', '2026-05-20T00:00:00Z',            false, NULL,                   'electrical', '2025-05-20T00:00:00Z', '2026-02-01T00:00:00Z'),
	-- C15 already EXPIRED: not touched again
	('30000000-0000-4000-8000-000000000015', '20000000-0000-4000-8000-000000000010', 'first_aid',         'EXPIRED',    '2025-03-01T00:00:00Z', '2026-03-01T00:00:00Z',            false, NULL,                   'medical',    '2025-03-01T00:00:00Z', '2026-03-01T00:00:00Z'),
	-- C16 PASS expiring 2026-07-15 (44 days): valid, no warning
	('30000000-0000-4000-8000-000000000016', '20000000-0000-4000-8000-000000000010', 'electrical_safety', 'PASS',       '2025-07-15T00:00:00Z', '2026-07-15T00:00:00Z',            false, NULL,                   'electrical', '2025-07-15T00:00:00Z', '2025-07-15T00:00:00Z'),
	-- C17 PASS expiring 1 µs before as-of: due
	('30000000-0000-4000-8000-000000000017', '20000000-0000-4000-8000-000000000011', 'electrical_safety', 'PASS',       '2025-06-01T00:00:00Z', '2026-05-31T23:59:59.999999Z',     false, NULL,                   'electrical', '2025-06-01T00:00:00Z', '2025-06-01T00:00:00Z'),
	-- C18 INCOMPLETE expiring 1 µs after as-of: not due; warned at 1, 7, 30
	('30000000-0000-4000-8000-000000000018', '20000000-0000-4000-8000-000000000012', 'first_aid',         'INCOMPLETE', '2025-06-01T00:00:00Z', '2026-06-01T00:00:00.000001Z',     false, NULL,                   'medical',    '2025-06-01T00:00:00Z', '2025-06-01T00:00:00Z'),
	-- C19 non-expiring PASS with a stale past expiration_date: non-expiring wins, never due
	('30000000-0000-4000-8000-000000000019', '20000000-0000-4000-8000-000000000013', 'osha_30',           'PASS',       '2020-01-01T00:00:00Z', '2025-01-01T00:00:00Z',            true,  NULL,                   'safety',     '2020-01-01T00:00:00Z', '2020-01-01T00:00:00Z');

-- Earlier enforcement state: Jack was blocked on 2026-03-01 when C15 expired.
INSERT INTO vigil.certification_enforcement (certification_id, is_blocked, reason, evaluated_at) VALUES
	('30000000-0000-4000-8000-000000000015', true,  'expired', '2026-03-01T00:05:00Z'),
	('30000000-0000-4000-8000-000000000001', false, NULL,      '2026-03-01T00:05:00Z');
INSERT INTO vigil.employee_enforcement (employee_id, is_blocked, missing_cert_types, evaluated_at, changed_at) VALUES
	('20000000-0000-4000-8000-000000000010', true,  '{first_aid}', '2026-03-01T00:05:00Z', '2026-03-01T00:05:00Z'),
	('20000000-0000-4000-8000-000000000003', false, '{}',          '2026-03-01T00:05:00Z', '2026-02-01T00:05:00Z');
INSERT INTO vigil.enforcement_actions (action_type, target_type, target_id, reason, details, run_id, created_at) VALUES
	('BLOCK',   'employee', '20000000-0000-4000-8000-000000000010', 'missing required certification', '{"missing_cert_types": ["first_aid"]}', NULL, '2026-03-01T00:05:00Z'),
	('UNBLOCK', 'employee', '20000000-0000-4000-8000-000000000003', 'requirements met',                '{"missing_cert_types": []}',            NULL, '2026-02-01T00:05:00Z');

-- Work windows and assignments -----------------------------------------------
INSERT INTO vigil.work_windows (id, organization_id, name, start_time, end_time, status, created_at) VALUES
	-- W1 scheduled, ends after as-of: blocked assignees (Alice, Frank) conflict
	('40000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', 'Riverside lobby wiring',   '2026-06-01T06:00:00Z', '2026-06-01T18:00:00Z', 'scheduled', '2026-05-01T00:00:00Z'),
	-- W2 done, in the past
	('40000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000001', 'Dock beam welding',        '2026-05-20T06:00:00Z', '2026-05-20T14:00:00Z', 'done',      '2026-05-01T00:00:00Z'),
	-- W3 cancelled, in the future: no conflict
	('40000000-0000-4000-8000-000000000003', '10000000-0000-4000-8000-000000000001', 'Roof hot work',            '2026-06-02T06:00:00Z', '2026-06-02T14:00:00Z', 'cancelled', '2026-05-01T00:00:00Z'),
	-- W4 scheduled, spans as-of (ends after): Kim conflicts
	('40000000-0000-4000-8000-000000000004', '10000000-0000-4000-8000-000000000002', 'Substation night shift',   '2026-05-31T20:00:00Z', '2026-06-01T04:00:00Z', 'scheduled', '2026-05-01T00:00:00Z'),
	-- W5 still 'scheduled' but ended before as-of: no conflict
	('40000000-0000-4000-8000-000000000005', '10000000-0000-4000-8000-000000000001', 'Warehouse racking',        '2026-05-30T08:00:00Z', '2026-05-30T16:00:00Z', 'scheduled', '2026-05-01T00:00:00Z');
INSERT INTO vigil.work_window_assignments (work_window_id, employee_id, assigned_at) VALUES
	('40000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000001', '2026-05-02T00:00:00Z'),
	('40000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000003', '2026-05-02T00:00:00Z'),
	('40000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000006', '2026-05-02T00:00:00Z'),
	('40000000-0000-4000-8000-000000000002', '20000000-0000-4000-8000-000000000002', '2026-05-02T00:00:00Z'),
	('40000000-0000-4000-8000-000000000003', '20000000-0000-4000-8000-000000000004', '2026-05-02T00:00:00Z'),
	('40000000-0000-4000-8000-000000000004', '20000000-0000-4000-8000-000000000011', '2026-05-02T00:00:00Z'),
	('40000000-0000-4000-8000-000000000005', '20000000-0000-4000-8000-000000000002', '2026-05-02T00:00:00Z');

-- JHAs ---------------------------------------------------------------------
INSERT INTO vigil.jhas (id, organization_id, title, created_at) VALUES
	('a0000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', 'Hot work on the roof',           '2026-04-01T00:00:00Z'),
	('a0000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000002', 'Energized switchgear isolation', '2026-04-01T00:00:00Z');
INSERT INTO vigil.jha_acknowledgments (jha_id, employee_id, acknowledged_at) VALUES
	('a0000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000002', '2026-04-02T08:00:00Z'),
	('a0000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000004', '2026-04-02T08:05:00Z'),
	('a0000000-0000-4000-8000-000000000002', '20000000-0000-4000-8000-000000000011', '2026-04-03T07:30:00Z');

-- Projects -------------------------------------------------------------------
INSERT INTO vigil.projects (id, organization_id, name, created_at) VALUES
	('50000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', 'Riverside Tower',    '2026-01-01T00:00:00Z'),
	('50000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000001', 'Dockside Warehouse', '2026-01-01T00:00:00Z'),
	('50000000-0000-4000-8000-000000000003', '10000000-0000-4000-8000-000000000002', 'Harbor Substation',  '2026-01-01T00:00:00Z');

-- Incidents and near misses --------------------------------------------------
INSERT INTO vigil.incidents (id, organization_id, project_id, occurred_at, title, description, severity, reported_by, created_at) VALUES
	('b0000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', '50000000-0000-4000-8000-000000000001', '2026-05-10T09:40:00Z', 'Pallet slipped from hoist', 'No injuries; hoist taken out of service.', 'high',   'Erin Evans', '2026-05-10T10:00:00Z'),
	('b0000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000002', '50000000-0000-4000-8000-000000000003', '2026-04-02T14:15:00Z', 'Arc flash alarm',           'Breaker tripped during isolation.',       'medium', 'Leo Larsen', '2026-04-02T15:00:00Z');
INSERT INTO vigil.near_misses (id, organization_id, project_id, category, reported_at, description, severity, reported_by, created_at) VALUES
	('b1000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', '50000000-0000-4000-8000-000000000001', 'fall',       '2026-05-12T11:00:00Z', 'Unsecured guard rail on level 5.',  'medium', 'Carol Chen', '2026-05-12T11:00:00Z'),
	('b1000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000002', '50000000-0000-4000-8000-000000000003', 'electrical', '2026-05-20T16:30:00Z', 'Unlabelled live conductor found.', 'high',   'Kim Kowalski', '2026-05-20T16:30:00Z'),
	('b1000000-0000-4000-8000-000000000003', '10000000-0000-4000-8000-000000000001', '50000000-0000-4000-8000-000000000002', 'fall',       '2026-03-03T09:00:00Z', 'Ladder footing slipped.',          'low',    'Dan Diaz',   '2026-03-03T09:00:00Z');

-- Zones (statuses are computed by the triggers; proofs come below) -----------
INSERT INTO vigil.zones (id, project_id, name, required_proof_types, required_proof_count, current_escalation_level, last_escalated_at, readiness_deadline, escalation_policy, created_at) VALUES
	-- Z1 GREEN by its proofs (photo + document); deadline past but GREEN
	('60000000-0000-4000-8000-000000000001', '50000000-0000-4000-8000-000000000001', 'Lobby',        '{photo,document}', 2, 0, NULL, '2026-05-30T00:00:00Z', NULL, '2026-05-01T00:00:00Z'),
	-- Z2 RED (video proof invalid), 30 min past deadline, level 0: default L1 due
	('60000000-0000-4000-8000-000000000002', '50000000-0000-4000-8000-000000000001', 'Roof',         '{photo,video}',    2, 0, NULL, '2026-05-31T23:30:00Z', NULL, '2026-05-01T00:00:00Z'),
	-- Z3 RED (no proofs), 600 min past deadline, level 0: rises to L1 only
	('60000000-0000-4000-8000-000000000003', '50000000-0000-4000-8000-000000000001', 'Basement',     '{document}',       1, 0, NULL, '2026-05-31T14:00:00Z', NULL, '2026-05-01T00:00:00Z'),
	-- Z4 RED, level 1, 1440 min past deadline: default L2 (480) due
	('60000000-0000-4000-8000-000000000004', '50000000-0000-4000-8000-000000000002', 'Loading Dock', '{photo}',          1, 1, '2026-05-30T00:00:00Z', '2026-05-31T00:00:00Z', NULL, '2026-05-01T00:00:00Z'),
	-- Z5 RED, already at level 3: never rises further
	('60000000-0000-4000-8000-000000000005', '50000000-0000-4000-8000-000000000002', 'Cold Storage', '{photo}',          1, 3, '2026-05-20T00:00:00Z', '2026-05-20T08:00:00Z', NULL, '2026-05-01T00:00:00Z'),
	-- Z6 RED, own policy (L1 at 60 min), 30 min past deadline: NOT due yet
	('60000000-0000-4000-8000-000000000006', '50000000-0000-4000-8000-000000000003', 'Switchyard',   '{photo,document}', 2, 0, NULL, '2026-05-31T23:30:00Z',
	 '[{"level": 1, "threshold_minutes_past_deadline": 60,  "recipients_role": ["site_coordinator"],              "new_deadline_minutes_from_now": 120},
	   {"level": 2, "threshold_minutes_past_deadline": 180, "recipients_role": ["project_manager", "org_admin"], "new_deadline_minutes_from_now": 240},
	   {"level": 3, "threshold_minutes_past_deadline": 600, "recipients_role": ["org_admin"],                     "new_deadline_minutes_from_now": 60}]',
	 '2026-05-01T00:00:00Z'),
	-- Z7 RED, malformed policy (an object, a level that is not a number), 1 day past deadline
	('60000000-0000-4000-8000-000000000007', '50000000-0000-4000-8000-000000000003', 'Control Room', '{document}',       1, 0, NULL, '2026-05-31T00:00:00Z',
	 '{"level": "one", "threshold_minutes_past_deadline": "soon"}', '2026-05-01T00:00:00Z'),
	-- Z8 RED, deadline in the future: not due
	('60000000-0000-4000-8000-000000000008', '50000000-0000-4000-8000-000000000001', 'Penthouse',    '{photo}',          1, 0, NULL, '2026-06-02T00:00:00Z', NULL, '2026-05-01T00:00:00Z'),
	-- Z9 GREEN with an active level-1 escalation: vigil-escalate resolves it
	('60000000-0000-4000-8000-000000000009', '50000000-0000-4000-8000-000000000001', 'Scaffold',     '{photo}',          1, 1, '2026-05-29T00:00:00Z', '2026-05-30T00:00:00Z', NULL, '2026-05-01T00:00:00Z'),
	-- Z10 RED without a readiness deadline: never escalates
	('60000000-0000-4000-8000-000000000010', '50000000-0000-4000-8000-000000000002', 'Yard',         '{photo}',          1, 0, NULL, NULL, NULL, '2026-05-01T00:00:00Z');

-- Evidence nodes and media ---------------------------------------------------
INSERT INTO vigil.evidence_nodes (id, entity_type, entity_id, created_at) VALUES
	('70000000-0000-4000-8000-000000000001', 'certification',      '30000000-0000-4000-8000-000000000001', '2026-05-01T10:00:00Z'),
	('70000000-0000-4000-8000-000000000002', 'proof',              '61000000-0000-4000-8000-000000000001', '2026-05-28T09:00:00Z'),
	('70000000-0000-4000-8000-000000000003', 'proof',              '61000000-0000-4000-8000-000000000002', '2026-05-28T09:05:00Z'),
	('70000000-0000-4000-8000-000000000004', 'incident',           'b0000000-0000-4000-8000-000000000001', '2026-05-10T10:00:00Z'),
	('70000000-0000-4000-8000-000000000005', 'proof',              '61000000-0000-4000-8000-000000000007', '2026-05-30T12:00:00Z'),
	('70000000-0000-4000-8000-000000000006', 'enforcement_action', '1',                                    '2026-03-01T00:05:00Z'),
	('70000000-0000-4000-8000-000000000007', 'verification_event', '91000000-0000-4000-8000-000000000001', '2026-05-15T07:00:00Z');
INSERT INTO vigil.media_objects (id, evidence_node_id, file_name, content_type, byte_size, sha256, storage_key, created_at) VALUES
	('71000000-0000-4000-8000-000000000001', '70000000-0000-4000-8000-000000000001', 'c01-electrical-safety.pdf', 'application/pdf', 237,
	 decode('7c1ae0318993f6061aa75f9a35cb87c8e39f4f5b8700e6a62fab885365dde09d', 'hex'), 'org1/certs/c01-electrical-safety.pdf', '2026-05-01T10:00:00Z'),
	('71000000-0000-4000-8000-000000000002', '70000000-0000-4000-8000-000000000002', 'z1-lobby.png',              'image/png',       70,
	 decode('9904949d8210be1aa8dc6626b9e4351165493c54da06532cd79f4b7199e71131', 'hex'), 'org1/zones/z1-lobby.png',              '2026-05-28T09:00:00Z'),
	('71000000-0000-4000-8000-000000000003', '70000000-0000-4000-8000-000000000003', 'z1-lobby-checklist.txt',    'text/plain',      178,
	 decode('a83181f6da3db50dfb0d05e9dc531d23442b1d3a7b5d61a2f3781a37c34d4f7c', 'hex'), 'org1/zones/z1-lobby-checklist.txt',    '2026-05-28T09:05:00Z'),
	('71000000-0000-4000-8000-000000000004', '70000000-0000-4000-8000-000000000004', 'i1-report.txt',             'text/plain',      148,
	 decode('b5409a4a6d141b7ab4d761c53f6b2ecfe54c929ffa762373d7eaf30c999c19b0', 'hex'), 'org1/incidents/i1-report.txt',         '2026-05-10T10:00:00Z'),
	('71000000-0000-4000-8000-000000000005', '70000000-0000-4000-8000-000000000005', 'z6-fence.png',              'image/png',       78,
	 decode('65743cb2156668ecf9c49bdd8835425b0248b925f4d73a42785cff64db84b90c', 'hex'), 'org2/zones/z6-fence.png',              '2026-05-30T12:00:00Z');

-- Proofs (after the zones: the trigger computes computed_status) -------------
INSERT INTO vigil.proofs (id, zone_id, proof_type, uploaded_by, is_valid, media_object_id, created_at) VALUES
	-- Z1: photo + document, both valid -> GREEN
	('61000000-0000-4000-8000-000000000001', '60000000-0000-4000-8000-000000000001', 'photo',    'Erin Evans', true,  '71000000-0000-4000-8000-000000000002', '2026-05-28T09:00:00Z'),
	('61000000-0000-4000-8000-000000000002', '60000000-0000-4000-8000-000000000001', 'document', 'Erin Evans', true,  '71000000-0000-4000-8000-000000000003', '2026-05-28T09:05:00Z'),
	-- Z2: a valid photo and an invalidated video -> RED
	('61000000-0000-4000-8000-000000000003', '60000000-0000-4000-8000-000000000002', 'photo',    'Erin Evans', true,  NULL, '2026-05-29T09:00:00Z'),
	('61000000-0000-4000-8000-000000000004', '60000000-0000-4000-8000-000000000002', 'video',    'Erin Evans', false, NULL, '2026-05-29T09:10:00Z'),
	-- Z4: a document where a photo is required -> RED
	('61000000-0000-4000-8000-000000000005', '60000000-0000-4000-8000-000000000004', 'document', 'Grace Gupta', true, NULL, '2026-05-30T09:00:00Z'),
	-- Z9: one valid photo -> GREEN
	('61000000-0000-4000-8000-000000000006', '60000000-0000-4000-8000-000000000009', 'photo',    'Erin Evans', true,  NULL, '2026-05-31T08:00:00Z'),
	-- Z6: one photo, a document is still missing -> RED
	('61000000-0000-4000-8000-000000000007', '60000000-0000-4000-8000-000000000006', 'photo',    'Leo Larsen', true,  '71000000-0000-4000-8000-000000000005', '2026-05-30T12:00:00Z');

-- Escalations already raised -------------------------------------------------
INSERT INTO vigil.escalation_events (id, zone_id, project_id, level, triggered_at, recipients, threshold_minutes_past_deadline, new_deadline_set_to, acknowledged, acknowledged_by, acknowledged_at, status, resolved_at) VALUES
	('62000000-0000-4000-8000-000000000001', '60000000-0000-4000-8000-000000000004', '50000000-0000-4000-8000-000000000002', 1, '2026-05-30T00:00:00Z', '["site_coordinator"]', 0,   '2026-05-31T00:00:00Z', false, NULL, NULL, 'active', NULL),
	('62000000-0000-4000-8000-000000000002', '60000000-0000-4000-8000-000000000005', '50000000-0000-4000-8000-000000000002', 1, '2026-05-18T00:00:00Z', '["site_coordinator"]', 0,   '2026-05-19T00:00:00Z', true, 'Erin Evans', '2026-05-18T06:00:00Z', 'active', NULL),
	('62000000-0000-4000-8000-000000000003', '60000000-0000-4000-8000-000000000005', '50000000-0000-4000-8000-000000000002', 2, '2026-05-19T08:00:00Z', '["project_manager"]',  480, '2026-05-20T00:00:00Z', false, NULL, NULL, 'active', NULL),
	('62000000-0000-4000-8000-000000000004', '60000000-0000-4000-8000-000000000005', '50000000-0000-4000-8000-000000000002', 3, '2026-05-20T00:00:00Z', '["org_admin"]',        960, '2026-05-20T08:00:00Z', false, NULL, NULL, 'active', NULL),
	('62000000-0000-4000-8000-000000000005', '60000000-0000-4000-8000-000000000009', '50000000-0000-4000-8000-000000000001', 1, '2026-05-29T00:00:00Z', '["site_coordinator"]', 0,   '2026-05-30T00:00:00Z', false, NULL, NULL, 'active', NULL);

-- Audit cases and their evidence ---------------------------------------------
INSERT INTO vigil.audit_cases (id, organization_id, title, description, status, legal_hold, created_by, created_at) VALUES
	('80000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', 'Riverside Tower Q2 safety audit', 'Quarterly regulator audit of the Riverside Tower site.', 'open', false, 'grace@northwind.example', '2026-05-20T00:00:00Z'),
	('80000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000002', 'Substation arc flash review',     'Review of the 2026-04-02 arc flash alarm.',              'open', true,  'mia@harbor.example',      '2026-05-21T00:00:00Z'),
	('80000000-0000-4000-8000-000000000003', '10000000-0000-4000-8000-000000000001', 'Empty case',                      'A case with no evidence attached.',                      'open', false, 'grace@northwind.example', '2026-05-22T00:00:00Z');
INSERT INTO vigil.audit_evidence_links (audit_case_id, evidence_node_id, attached_by, attached_at) VALUES
	('80000000-0000-4000-8000-000000000001', '70000000-0000-4000-8000-000000000001', 'grace@northwind.example', '2026-05-20T01:00:00Z'),
	('80000000-0000-4000-8000-000000000001', '70000000-0000-4000-8000-000000000002', 'grace@northwind.example', '2026-05-29T01:00:00Z'),
	('80000000-0000-4000-8000-000000000001', '70000000-0000-4000-8000-000000000003', 'grace@northwind.example', '2026-05-29T01:00:00Z'),
	('80000000-0000-4000-8000-000000000001', '70000000-0000-4000-8000-000000000004', 'grace@northwind.example', '2026-05-20T01:00:00Z'),
	('80000000-0000-4000-8000-000000000001', '70000000-0000-4000-8000-000000000006', 'grace@northwind.example', '2026-05-20T01:00:00Z'),
	('80000000-0000-4000-8000-000000000001', '70000000-0000-4000-8000-000000000007', 'grace@northwind.example', '2026-05-20T01:00:00Z'),
	('80000000-0000-4000-8000-000000000002', '70000000-0000-4000-8000-000000000005', 'mia@harbor.example',      '2026-05-31T01:00:00Z');

-- QR verification tokens and scans (token_hash = sha256 of the token text) ---
INSERT INTO vigil.verification_tokens (id, certification_id, token_hash, issued_at, expires_at, revoked_at) VALUES
	-- T1 current, scanned twice
	('90000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001', sha256('vigil-sample-token-1'::bytea), '2026-05-01T00:00:00Z', '2026-12-31T00:00:00Z', NULL),
	-- T2 expired 2026-01-01 (more than 90 days before as-of), never scanned: purged
	('90000000-0000-4000-8000-000000000002', '30000000-0000-4000-8000-000000000005', sha256('vigil-sample-token-2'::bytea), '2025-10-01T00:00:00Z', '2026-01-01T00:00:00Z', NULL),
	-- T3 expired 2026-01-01 but scanned: kept (its scan is evidence)
	('90000000-0000-4000-8000-000000000003', '30000000-0000-4000-8000-000000000003', sha256('vigil-sample-token-3'::bytea), '2025-10-01T00:00:00Z', '2026-01-01T00:00:00Z', NULL),
	-- T4 expired 2026-04-01 (61 days), never scanned: kept
	('90000000-0000-4000-8000-000000000004', '30000000-0000-4000-8000-000000000006', sha256('vigil-sample-token-4'::bytea), '2026-01-01T00:00:00Z', '2026-04-01T00:00:00Z', NULL),
	-- T5 revoked, expired 2026-02-01, never scanned: purged
	('90000000-0000-4000-8000-000000000005', '30000000-0000-4000-8000-000000000014', sha256('vigil-sample-token-5'::bytea), '2025-11-01T00:00:00Z', '2026-02-01T00:00:00Z', '2026-01-15T00:00:00Z');
INSERT INTO vigil.verification_events (id, verification_token_id, scanned_at, verified_by, location, result) VALUES
	('91000000-0000-4000-8000-000000000001', '90000000-0000-4000-8000-000000000001', '2026-05-15T07:00:00Z', 'Erin Evans', 'Riverside Tower gate A', 'valid'),
	('91000000-0000-4000-8000-000000000002', '90000000-0000-4000-8000-000000000001', '2026-05-28T06:55:00Z', 'Erin Evans', 'Riverside Tower gate A', 'valid'),
	('91000000-0000-4000-8000-000000000003', '90000000-0000-4000-8000-000000000003', '2025-12-01T07:10:00Z', 'Grace Gupta', 'Dockside gate',         'valid');

-- Audit trails: AI-assistant calls of many ages before as-of ------------------
-- Project P1 (no active hold): ages 1d, 3d, 6d, exactly 7d (kept), 7d+1s,
-- 8d, 10d, 30d, 60d. Project P2 (active legal hold): 2d, 10d, 45d, all kept.
-- No project: 20d.
INSERT INTO vigil.audit_trails (id, message_id, project_id, "timestamp", model, reasoning, context_layers, tokens, cost, created_at, updated_at)
SELECT t.id::uuid, t.message_id, t.project_id::uuid, t.ts::timestamptz, 'assistant-large-2026-04',
	jsonb_build_object('summary', 'zone readiness question'), '["project", "zone"]'::jsonb,
	'{"input": 812, "output": 164}'::jsonb, '{"usd": 0.0042}'::jsonb, t.ts::timestamptz, t.ts::timestamptz
FROM (VALUES
	('d0000000-0000-4000-8000-000000000001', 'msg-p1-001d', '50000000-0000-4000-8000-000000000001', '2026-05-31T00:00:00Z'),
	('d0000000-0000-4000-8000-000000000002', 'msg-p1-003d', '50000000-0000-4000-8000-000000000001', '2026-05-29T00:00:00Z'),
	('d0000000-0000-4000-8000-000000000003', 'msg-p1-006d', '50000000-0000-4000-8000-000000000001', '2026-05-26T00:00:00Z'),
	('d0000000-0000-4000-8000-000000000004', 'msg-p1-007d', '50000000-0000-4000-8000-000000000001', '2026-05-25T00:00:00Z'),
	('d0000000-0000-4000-8000-000000000005', 'msg-p1-007d1s', '50000000-0000-4000-8000-000000000001', '2026-05-24T23:59:59Z'),
	('d0000000-0000-4000-8000-000000000006', 'msg-p1-008d', '50000000-0000-4000-8000-000000000001', '2026-05-24T00:00:00Z'),
	('d0000000-0000-4000-8000-000000000007', 'msg-p1-010d', '50000000-0000-4000-8000-000000000001', '2026-05-22T00:00:00Z'),
	('d0000000-0000-4000-8000-000000000008', 'msg-p1-030d', '50000000-0000-4000-8000-000000000001', '2026-05-02T00:00:00Z'),
	('d0000000-0000-4000-8000-000000000009', 'msg-p1-060d', '50000000-0000-4000-8000-000000000001', '2026-04-02T00:00:00Z'),
	('d0000000-0000-4000-8000-000000000010', 'msg-p2-002d', '50000000-0000-4000-8000-000000000002', '2026-05-30T00:00:00Z'),
	('d0000000-0000-4000-8000-000000000011', 'msg-p2-010d', '50000000-0000-4000-8000-000000000002', '2026-05-22T00:00:00Z'),
	('d0000000-0000-4000-8000-000000000012', 'msg-p2-045d', '50000000-0000-4000-8000-000000000002', '2026-04-17T00:00:00Z'),
	('d0000000-0000-4000-8000-000000000013', 'msg-none-020d', NULL,                                '2026-05-12T00:00:00Z')
) AS t(id, message_id, project_id, ts);

-- Legal holds: P2 held (active), P1's hold released, case AC2 held ----------
INSERT INTO vigil.legal_holds (id, scope_type, scope_id, reason, created_by, created_at, released_at) VALUES
	('c0000000-0000-4000-8000-000000000001', 'project',    '50000000-0000-4000-8000-000000000002', 'Insurance claim on the Dockside collapse', 'counsel@northwind.example', '2026-04-01T00:00:00Z', NULL),
	('c0000000-0000-4000-8000-000000000002', 'project',    '50000000-0000-4000-8000-000000000001', 'Closed subpoena',                          'counsel@northwind.example', '2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z'),
	('c0000000-0000-4000-8000-000000000003', 'audit_case', '80000000-0000-4000-8000-000000000002', 'Regulator review pending',                 'counsel@harbor.example',    '2026-05-21T00:00:00Z', NULL);

-- Notification outbox: ids 1..4 in a fresh database --------------------------
INSERT INTO vigil.notification_outbox (kind, organization_id, recipient_role, payload, dedupe_key, created_at, delivered_at) VALUES
	-- delivered 2026-03-01 (92 days before as-of): purged
	('cert.expiring', '10000000-0000-4000-8000-000000000001', 'site_coordinator', '{"certification_id": "30000000-0000-4000-8000-000000000015", "days": 30}', 'sample:old-delivered',    '2026-02-01T00:00:00Z', '2026-03-01T00:00:00Z'),
	-- delivered 1 s more than 30 days before as-of: purged
	('cert.expiring', '10000000-0000-4000-8000-000000000001', 'site_coordinator', '{"certification_id": "30000000-0000-4000-8000-000000000003", "days": 30}', 'sample:delivered-30d1s', '2026-04-15T00:00:00Z', '2026-05-01T23:59:59Z'),
	-- delivered 2026-05-25: kept
	('zone.escalated', '10000000-0000-4000-8000-000000000001', 'project_manager', '{"zone_id": "60000000-0000-4000-8000-000000000005", "level": 3}', 'sample:recent-delivered', '2026-05-20T00:00:00Z', '2026-05-25T00:00:00Z'),
	-- never delivered (created long ago): never purged
	('zone.escalated', '10000000-0000-4000-8000-000000000002', 'org_admin', '{"zone_id": "60000000-0000-4000-8000-000000000007", "level": 0}', 'sample:undelivered', '2026-01-01T00:00:00Z', NULL);

-- Ledger: how the evidence came to be (seq 1..10 in a fresh database) --------
INSERT INTO vigil.ledger (event_type, entity_type, entity_id, evidence_node_id, actor, payload)
SELECT l.event_type, l.entity_type, l.entity_id, l.node::uuid, l.actor, l.payload::jsonb
FROM (VALUES
	(1,  'enforcement.block',    'employee',           '20000000-0000-4000-8000-000000000010', NULL, 'vigil-enforce', '{"missing_cert_types": ["first_aid"], "enforcement_action_id": 1}'),
	(2,  'evidence.created',     'enforcement_action', '1', '70000000-0000-4000-8000-000000000006', 'vigil-enforce', '{"created_at": "2026-03-01T00:05:00Z"}'),
	(3,  'evidence.created',     'certification',      '30000000-0000-4000-8000-000000000001', '70000000-0000-4000-8000-000000000001', 'grace@northwind.example', '{"media_object_id": "71000000-0000-4000-8000-000000000001", "created_at": "2026-05-01T10:00:00Z"}'),
	(4,  'evidence.created',     'incident',           'b0000000-0000-4000-8000-000000000001', '70000000-0000-4000-8000-000000000004', 'erin@northwind.example',  '{"media_object_id": "71000000-0000-4000-8000-000000000004", "created_at": "2026-05-10T10:00:00Z"}'),
	(5,  'evidence.created',     'verification_event', '91000000-0000-4000-8000-000000000001', '70000000-0000-4000-8000-000000000007', 'erin@northwind.example',  '{"created_at": "2026-05-15T07:00:00Z"}'),
	(6,  'audit_case.opened',    'audit_case',         '80000000-0000-4000-8000-000000000001', NULL, 'grace@northwind.example', '{"title": "Riverside Tower Q2 safety audit"}'),
	(7,  'evidence.created',     'proof',              '61000000-0000-4000-8000-000000000001', '70000000-0000-4000-8000-000000000002', 'erin@northwind.example',  '{"media_object_id": "71000000-0000-4000-8000-000000000002", "created_at": "2026-05-28T09:00:00Z"}'),
	(8,  'evidence.created',     'proof',              '61000000-0000-4000-8000-000000000002', '70000000-0000-4000-8000-000000000003', 'erin@northwind.example',  '{"media_object_id": "71000000-0000-4000-8000-000000000003", "created_at": "2026-05-28T09:05:00Z"}'),
	(9,  'evidence.created',     'proof',              '61000000-0000-4000-8000-000000000007', '70000000-0000-4000-8000-000000000005', 'leo@harbor.example',      '{"media_object_id": "71000000-0000-4000-8000-000000000005", "created_at": "2026-05-30T12:00:00Z"}'),
	(10, 'evidence.attached',    'audit_case',         '80000000-0000-4000-8000-000000000002', '70000000-0000-4000-8000-000000000005', 'mia@harbor.example',      '{"audit_case_id": "80000000-0000-4000-8000-000000000002"}')
) AS l(ord, event_type, entity_type, entity_id, node, actor, payload)
ORDER BY l.ord;

COMMIT;
