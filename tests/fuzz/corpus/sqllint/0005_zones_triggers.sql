-- 0005_zones_triggers — zones.computed_status, maintained only by triggers.
--
-- A zone is GREEN when its valid proofs (is_valid) number at least
-- required_proof_count and their proof types cover every element of
-- required_proof_types; otherwise RED (a zone that requires nothing is
-- GREEN). The triggers write computed_status and status_computed_at only,
-- never the escalation columns, which belong to vigil-escalate.
--
-- The proofs trigger locks the zone row before counting, so two transactions
-- adding proofs to one zone at once cannot both count without the other's
-- proof and leave the zone RED. It is SECURITY DEFINER (owner vigil_owner):
-- whoever may write proofs gets the zone recomputed without UPDATE on zones.
SET LOCAL lock_timeout = '5s';
SET LOCAL ROLE vigil_owner;

-- 'GREEN' or 'RED' for a zone, given its requirements, from its valid proofs.
CREATE FUNCTION vigil.zone_status(p_zone_id uuid, p_required_types text[], p_required_count int)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
	SELECT CASE
		WHEN count(*) >= coalesce(p_required_count, 0)
		 AND coalesce(p_required_types, '{}') <@ coalesce(array_agg(p.proof_type), '{}')
		THEN 'GREEN' ELSE 'RED' END
	FROM vigil.proofs p
	WHERE p.zone_id = p_zone_id AND p.is_valid
$fn$;

-- BEFORE INSERT / UPDATE OF the requirements on zones.
CREATE FUNCTION vigil.zones_compute_status() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
	NEW.computed_status := vigil.zone_status(NEW.id, NEW.required_proof_types, NEW.required_proof_count);
	NEW.status_computed_at := now();
	RETURN NEW;
END
$fn$;

-- Recompute one zone after its proofs changed.
CREATE FUNCTION vigil.zone_refresh_status(p_zone_id uuid) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	req_types text[];
	req_count int;
	new_status text;
BEGIN
	SELECT z.required_proof_types, z.required_proof_count INTO req_types, req_count
	FROM vigil.zones z
	WHERE z.id = p_zone_id
	FOR NO KEY UPDATE;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	new_status := vigil.zone_status(p_zone_id, req_types, req_count);
	UPDATE vigil.zones
	SET computed_status = new_status, status_computed_at = now()
	WHERE id = p_zone_id;
END
$fn$;

-- AFTER INSERT / UPDATE / DELETE on proofs, per row.
CREATE FUNCTION vigil.proofs_refresh_zone() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		PERFORM vigil.zone_refresh_status(OLD.zone_id);
	END IF;
	IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.zone_id IS DISTINCT FROM OLD.zone_id) THEN
		PERFORM vigil.zone_refresh_status(NEW.zone_id);
	END IF;
	RETURN NULL;
END
$fn$;

CREATE TRIGGER zones_compute_status
	BEFORE INSERT OR UPDATE OF required_proof_types, required_proof_count ON vigil.zones
	FOR EACH ROW EXECUTE FUNCTION vigil.zones_compute_status();

CREATE TRIGGER proofs_refresh_zone
	AFTER INSERT OR UPDATE OR DELETE ON vigil.proofs
	FOR EACH ROW EXECUTE FUNCTION vigil.proofs_refresh_zone();
