-- 0001_roles_schema — the four group roles, schema vigil and the migration log.
--
-- Roles are cluster-wide, so they are created only when missing: a second
-- database in the same cluster migrates cleanly. They are NOLOGIN group roles;
-- deployments grant them to login users. From here on every object is created
-- under SET LOCAL ROLE vigil_owner, so vigil_owner owns all of them.
SET LOCAL lock_timeout = '5s';

DO $roles$
DECLARE
	role_name text;
BEGIN
	FOREACH role_name IN ARRAY ARRAY['vigil_owner', 'vigil_app', 'vigil_jobs', 'vigil_auditor'] LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = role_name) THEN
			EXECUTE format('CREATE ROLE %I NOLOGIN', role_name);
		END IF;
	END LOOP;
END
$roles$;

CREATE SCHEMA IF NOT EXISTS vigil AUTHORIZATION vigil_owner;

SET LOCAL ROLE vigil_owner;

-- Nobody but the owner creates objects in vigil.
REVOKE CREATE ON SCHEMA vigil FROM PUBLIC;

-- The runner inserts one row per applied file, in the file's own transaction.
-- checksum is the SHA-256 of the file; snapshot is the catalog of schema vigil
-- after the migration, for `vigil-migrate verify` drift reports.
CREATE TABLE IF NOT EXISTS vigil.schema_migrations (
	version     int PRIMARY KEY,
	name        text NOT NULL,
	checksum    bytea NOT NULL,
	applied_at  timestamptz NOT NULL DEFAULT now(),
	applied_by  text NOT NULL DEFAULT current_user,
	duration_ms bigint,
	snapshot    text
);
