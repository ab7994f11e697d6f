-- 0010_ledger_append — append many ledger entries in one call, chained set-based.
--
-- The BEFORE INSERT trigger vigil.ledger_chain() costs one PL/pgSQL call, one
-- lookup of the last entry and one hash per row: about half of what a batch
-- of vigil-expire spends. vigil.ledger_append(entries) appends a whole batch
-- under the same advisory lock (7447, 0): it reads the last entry once, then
-- numbers the entries and chains their hashes in one INSERT ... SELECT (a
-- running window aggregate, vigil.ledger_chain_agg, carries the previous
-- hash from row to row). The canonical form is the one 0004 defines; the
-- schema tests recompute every entry_hash with vigil.ledger_canonical().
--
-- Who may skip the trigger. The function is SECURITY DEFINER, owned by
-- vigil_owner, so its INSERT runs as vigil_owner; the trigger now fires
-- unless the current user is vigil_owner *and* the row carries its hashes.
-- An application or job role still has every row it inserts chained by the
-- trigger, whatever it supplies, and cannot become vigil_owner. The owner
-- could already disable the trigger (it owns the table), so trusting its
-- rows gives nobody a power they did not have.
--
-- Entries take their order from the array; seq, created_at (clock_timestamp()
-- per entry, as the trigger does), prev_hash and entry_hash are computed
-- here. A NULL actor is the session user (the trigger's current_user would
-- be vigil_owner inside this function); a NULL payload is {}.
SET LOCAL lock_timeout = '5s';
SET LOCAL ROLE vigil_owner;

CREATE TYPE vigil.ledger_entry AS (
	event_type       text,
	entity_type      text,
	entity_id        text,
	evidence_node_id uuid,
	actor            text,
	run_id           bigint,
	payload          jsonb
);

-- One link of the chain: SHA-256(previous entry_hash || canonical text).
-- The first row of a window has no state yet and starts from seed, the
-- entry_hash of the last entry before the batch. PL/pgSQL without a SET
-- clause, every name qualified: it is called once per entry, and a SQL
-- function (or a SET search_path) costs two to three times as much per call.
CREATE FUNCTION vigil.ledger_chain_step(state bytea, seed bytea, canonical text) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $fn$
BEGIN
	RETURN pg_catalog.sha256(COALESCE(state, seed) OPERATOR(pg_catalog.||) pg_catalog.convert_to(canonical, 'UTF8'));
END
$fn$;

CREATE AGGREGATE vigil.ledger_chain_agg(bytea, text) (
	SFUNC = vigil.ledger_chain_step,
	STYPE = bytea
);

CREATE FUNCTION vigil.ledger_append(entries vigil.ledger_entry[]) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off
AS $fn$
DECLARE
	last_seq  bigint;
	last_hash bytea;
	appended  bigint;
BEGIN
	IF current_setting('transaction_isolation') <> 'read committed' THEN
		RAISE EXCEPTION 'vigil.ledger appends need READ COMMITTED isolation, not %',
			upper(current_setting('transaction_isolation'))
			USING ERRCODE = 'object_not_in_prerequisite_state',
			      HINT = 'append to the ledger in a READ COMMITTED transaction';
	END IF;
	IF coalesce(cardinality(entries), 0) = 0 THEN
		RETURN 0;
	END IF;

	PERFORM pg_advisory_xact_lock(7447, 0);

	-- As in the trigger: a fresh snapshot after the lock sees the entry the
	-- previous holder committed and those this transaction appended.
	SELECT l.seq, l.entry_hash INTO last_seq, last_hash
	FROM vigil.ledger l
	ORDER BY l.seq DESC
	LIMIT 1;
	last_seq  := coalesce(last_seq, 0);
	last_hash := coalesce(last_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);

	-- MATERIALIZED: created_at is computed once per entry and the same value
	-- is hashed and stored.
	WITH e AS MATERIALIZED (
		SELECT last_seq + r.ord AS seq, clock_timestamp() AS created_at,
		       r.event_type, r.entity_type, r.entity_id, r.evidence_node_id,
		       coalesce(r.actor, session_user::text) AS actor, r.run_id,
		       coalesce(r.payload, '{}'::jsonb) AS payload
		FROM unnest(entries) WITH ORDINALITY
		     AS r(event_type, entity_type, entity_id, evidence_node_id, actor, run_id, payload, ord)
	), h AS (
		SELECT e.*, vigil.ledger_chain_agg(last_hash, array_to_string(ARRAY[
			e.seq::text,
			to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
			e.event_type,
			e.entity_type,
			e.entity_id,
			e.evidence_node_id::text,
			e.actor,
			e.run_id::text,
			e.payload::text
		], E'\n', '')) OVER (ORDER BY e.seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS entry_hash
		FROM e
	)
	INSERT INTO vigil.ledger (seq, created_at, event_type, entity_type, entity_id, evidence_node_id,
	                          actor, run_id, payload, prev_hash, entry_hash)
	SELECT h.seq, h.created_at, h.event_type, h.entity_type, h.entity_id, h.evidence_node_id,
	       h.actor, h.run_id, h.payload,
	       coalesce(lag(h.entry_hash) OVER (ORDER BY h.seq), last_hash), h.entry_hash
	FROM h
	ORDER BY h.seq;
	GET DIAGNOSTICS appended = ROW_COUNT;
	RETURN appended;
END
$fn$;

DROP TRIGGER ledger_chain ON vigil.ledger;
CREATE TRIGGER ledger_chain
	BEFORE INSERT ON vigil.ledger
	FOR EACH ROW
	WHEN (current_user <> 'vigil_owner' OR NEW.entry_hash IS NULL)
	EXECUTE FUNCTION vigil.ledger_chain();

-- As 0006 does for every function: nothing is executable by PUBLIC. The
-- chain step and aggregate are pure and useful to anyone who checks hashes.
REVOKE EXECUTE ON FUNCTION vigil.ledger_chain_step(bytea, bytea, text),
	vigil.ledger_chain_agg(bytea, text), vigil.ledger_append(vigil.ledger_entry[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vigil.ledger_chain_step(bytea, bytea, text), vigil.ledger_chain_agg(bytea, text)
	TO vigil_app, vigil_jobs, vigil_auditor;
GRANT EXECUTE ON FUNCTION vigil.ledger_append(vigil.ledger_entry[]) TO vigil_app, vigil_jobs;
