-- 0009_ledger_chain_plan — keep the ledger append O(1) whatever the statistics say.
--
-- ledger_chain() finds the last entry with ORDER BY seq DESC LIMIT 1. PL/pgSQL
-- plans that query once per session; when the statistics say the ledger is
-- nearly empty (a fresh or just-analysed database) the plan is a sequential
-- scan, and one statement appending 10,000 entries became quadratic (30 s
-- instead of 3 s). The function now plans with enable_seqscan off, so the
-- lookup is always a backward scan of ledger_pkey. The SET applies inside
-- the function only, never to the caller's transaction.
--
-- The canonical text is also computed inline instead of through
-- vigil.ledger_canonical() (a non-inlinable SQL function call per entry);
-- it is the same expression, and the schema tests recompute every entry_hash
-- with vigil.ledger_canonical() to keep the two in step.
SET LOCAL lock_timeout = '5s';
SET LOCAL ROLE vigil_owner;

CREATE OR REPLACE FUNCTION vigil.ledger_chain() RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off
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
	NEW.prev_hash  := coalesce(last_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
	NEW.created_at := clock_timestamp();
	NEW.actor      := coalesce(NEW.actor, current_user);
	NEW.payload    := coalesce(NEW.payload, '{}'::jsonb);
	NEW.entry_hash := sha256(NEW.prev_hash || convert_to(array_to_string(ARRAY[
		NEW.seq::text,
		to_char(NEW.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
		NEW.event_type,
		NEW.entity_type,
		NEW.entity_id,
		NEW.evidence_node_id::text,
		NEW.actor,
		NEW.run_id::text,
		NEW.payload::text
	], E'\n', ''), 'UTF8'));
	RETURN NEW;
END
$fn$;
