-- 0004_ledger — the append-only, hash-chained ledger (DESIGN §5).
--
-- Every writer, application or job, appends with a plain INSERT naming only
-- (event_type, entity_type, entity_id, evidence_node_id, actor, run_id,
-- payload). The BEFORE INSERT trigger vigil.ledger_chain() fills in seq,
-- created_at, prev_hash and entry_hash, overwriting anything supplied, so a
-- caller cannot forge the sequence, the time or the hashes. It serialises
-- appends with the transaction-level advisory lock (7447, 0) — key (7447, 0)
-- is reserved for the ledger; jobs lock (7447, hashtext(job)) — and then reads
-- the last entry, so seq has no gaps and the chain has no forks. It refuses
-- to run outside READ COMMITTED: a REPEATABLE READ or SERIALIZABLE snapshot
-- taken before the lock would not see the entry appended just before and
-- would fork the chain.
--
-- Canonical form. entry_hash = SHA-256(prev_hash || UTF-8(canonical)), where
-- canonical is these 9 fields joined by a single "\n" (0x0A), no trailing
-- newline, a NULL field written as the empty string:
--
--   1  seq                decimal, e.g. 42
--   2  created_at         to_char(created_at AT TIME ZONE 'UTC',
--                         'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
--                         e.g. 2026-06-01T00:00:00.000000Z
--   3  event_type         as stored
--   4  entity_type        as stored
--   5  entity_id          as stored
--   6  evidence_node_id   uuid text form, lowercase with hyphens
--   7  actor              as stored
--   8  run_id             decimal
--   9  payload            payload::text (PostgreSQL's jsonb output)
--
-- The first entry's prev_hash (genesis) is 32 zero bytes. event_type,
-- entity_type, entity_id and actor may not contain "\n" or "\r", so the
-- line-based form is unambiguous (payload comes last and jsonb output never
-- contains a raw newline). vigil.ledger_canonical(l) computes the text; the
-- trigger and `vigil-verify --ledger` (common/ledger.h) use the same form.
--
-- UPDATE, DELETE and TRUNCATE raise an error for everyone, the owner too.
-- Those triggers are ENABLE ALWAYS, so session_replication_role = replica
-- does not switch them off either.
SET LOCAL lock_timeout = '5s';
SET LOCAL ROLE vigil_owner;

CREATE TABLE vigil.ledger (
	seq              bigint PRIMARY KEY,
	created_at       timestamptz NOT NULL,
	event_type       text NOT NULL
	                 CONSTRAINT ledger_event_type_check
	                 CHECK (event_type ~ '^[a-z0-9_]+(\.[a-z0-9_]+)*$' AND event_type !~ '[\n\r]'),
	entity_type      text CONSTRAINT ledger_entity_type_check CHECK (entity_type !~ '[\n\r]'),
	entity_id        text CONSTRAINT ledger_entity_id_check CHECK (entity_id !~ '[\n\r]'),
	evidence_node_id uuid REFERENCES vigil.evidence_nodes,
	actor            text NOT NULL DEFAULT current_user
	                 CONSTRAINT ledger_actor_check CHECK (actor !~ '[\n\r]'),
	run_id           bigint,
	payload          jsonb NOT NULL DEFAULT '{}',
	prev_hash        bytea NOT NULL CONSTRAINT ledger_prev_hash_check CHECK (octet_length(prev_hash) = 32),
	entry_hash       bytea NOT NULL CONSTRAINT ledger_entry_hash_check CHECK (octet_length(entry_hash) = 32)
);
CREATE INDEX idx_ledger_created_at ON vigil.ledger (created_at);
CREATE INDEX idx_ledger_entity ON vigil.ledger (entity_type, entity_id);
CREATE INDEX idx_ledger_evidence_node ON vigil.ledger (evidence_node_id);
CREATE INDEX idx_ledger_run ON vigil.ledger (run_id);

-- The canonical text of one entry (see the comment at the top). STABLE, not
-- IMMUTABLE, only because to_char() is; the patterns used do not depend on
-- locale or time zone settings.
CREATE FUNCTION vigil.ledger_canonical(l vigil.ledger) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
	SELECT array_to_string(ARRAY[
		l.seq::text,
		to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
		l.event_type,
		l.entity_type,
		l.entity_id,
		l.evidence_node_id::text,
		l.actor,
		l.run_id::text,
		l.payload::text
	], E'\n', '')
$fn$;

CREATE FUNCTION vigil.ledger_chain() RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	last_seq  bigint;
	last_hash bytea;
BEGIN
	IF current_setting('transaction_isolation') <> 'read committed' THEN
		RAISE EXCEPTION 'vigil.ledger appends need READ COMMITTED isolation, not %',
			upper(current_setting('transaction_isolation'))
			USING ERRCODE = 'object_not_in_prerequisite_state',
			      HINT = 'append to the ledger in a READ COMMITTED transaction';
	END IF;

	PERFORM pg_advisory_xact_lock(7447, 0);

	-- Volatile function, READ COMMITTED: this query takes a fresh snapshot
	-- after the lock, so it sees the entry committed by the previous holder
	-- and the rows this same statement inserted before this one.
	SELECT l.seq, l.entry_hash INTO last_seq, last_hash
	FROM vigil.ledger l
	ORDER BY l.seq DESC
	LIMIT 1;

	NEW.seq        := coalesce(last_seq, 0) + 1;
	NEW.prev_hash  := coalesce(last_hash, decode(repeat('00', 32), 'hex'));
	NEW.created_at := clock_timestamp();
	NEW.actor      := coalesce(NEW.actor, current_user);
	NEW.payload    := coalesce(NEW.payload, '{}'::jsonb);
	NEW.entry_hash := sha256(NEW.prev_hash || convert_to(vigil.ledger_canonical(NEW), 'UTF8'));
	RETURN NEW;
END
$fn$;

CREATE FUNCTION vigil.ledger_refuse_change() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
	RAISE EXCEPTION 'vigil.ledger is append-only: % is not allowed', TG_OP
		USING ERRCODE = 'insufficient_privilege',
		      HINT = 'record a correction as a new ledger entry';
END
$fn$;

CREATE TRIGGER ledger_chain
	BEFORE INSERT ON vigil.ledger
	FOR EACH ROW EXECUTE FUNCTION vigil.ledger_chain();

-- The statement-level trigger refuses even an UPDATE or DELETE that matches
-- no row; the row-level one is the second line of defence.
CREATE TRIGGER ledger_append_only
	BEFORE UPDATE OR DELETE OR TRUNCATE ON vigil.ledger
	FOR EACH STATEMENT EXECUTE FUNCTION vigil.ledger_refuse_change();
CREATE TRIGGER ledger_append_only_row
	BEFORE UPDATE OR DELETE ON vigil.ledger
	FOR EACH ROW EXECUTE FUNCTION vigil.ledger_refuse_change();

ALTER TABLE vigil.ledger ENABLE ALWAYS TRIGGER ledger_append_only;
ALTER TABLE vigil.ledger ENABLE ALWAYS TRIGGER ledger_append_only_row;
