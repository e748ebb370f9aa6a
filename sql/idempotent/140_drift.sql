-- Drift, per tenant: PSI and KL divergence of the questions' distribution
-- over the corpus (share nearest to each of k centroids), of the top-1
-- retrieval cosine, and of the refusal and fallback rates, a recent window
-- against a reference one. rag.drift_status is what a BI alert watches:
-- PSI > 0.25 is drift, 0.1–0.25 worth watching. The snapshot embeds the
-- windows' questions again (the log keeps no vectors): about 10 ms a
-- question on the default model. Scheduled with pg_cron (`ragsql cron`).

-- k-means of the tenant's live chunk vectors (active model); refit after
-- the corpus changes much, or the topic shares drift by construction.
CREATE OR REPLACE FUNCTION rag.fit_drift_centroids(tenant text, k int DEFAULT 8) RETURNS int
LANGUAGE plpython3u VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs.pg import drift
return drift.fit_centroids(plpy, tenant, k)
$py$;

CREATE OR REPLACE FUNCTION rag._drift_snapshot(tenant text, reference_from timestamptz, reference_to timestamptz,
                                               recent_from timestamptz, recent_to timestamptz)
RETURNS bigint[]
LANGUAGE plpython3u VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, @extschema_vector@, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs.pg import drift
return drift.snapshot(plpy, tenant, reference_from, reference_to, recent_from, recent_to)
$py$;

-- One snapshot: the questions asked about `tenant` in [recent_from,
-- recent_to) against those in [reference_from, reference_to). Defaults:
-- the last 7 days against the 28 before them.
CREATE OR REPLACE FUNCTION rag.drift_snapshot(tenant text, recent_to timestamptz DEFAULT now(),
                                              recent_from timestamptz DEFAULT NULL,
                                              reference_to timestamptz DEFAULT NULL,
                                              reference_from timestamptz DEFAULT NULL)
RETURNS SETOF rag.drift_snapshots
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_recent_to timestamptz := coalesce(recent_to, now());
    v_recent_from timestamptz := coalesce(recent_from, v_recent_to - interval '7 days');
    v_reference_to timestamptz := coalesce(reference_to, v_recent_from);
    v_reference_from timestamptz := coalesce(reference_from, v_reference_to - interval '28 days');
    v_ids bigint[];
BEGIN
    IF tenant IS NULL THEN
        RAISE EXCEPTION 'tenant must not be NULL' USING ERRCODE = '22023',
            HINT = 'drift is measured per tenant: rag.drift_snapshot_all() takes every fitted tenant';
    ELSIF NOT (v_reference_from < v_reference_to AND v_reference_to <= v_recent_from AND v_recent_from < v_recent_to) THEN
        RAISE EXCEPTION 'windows must be ordered: reference_from < reference_to <= recent_from < recent_to'
            USING ERRCODE = '22023', HINT = 'the reference window comes before the recent one';
    END IF;
    v_ids := rag._drift_snapshot(drift_snapshot.tenant, v_reference_from, v_reference_to, v_recent_from, v_recent_to);
    RETURN QUERY SELECT s.* FROM rag.drift_snapshots s WHERE s.id = ANY (v_ids) ORDER BY s.id;
END;
$$;

-- What the scheduled job runs: a snapshot of every tenant with centroids.
CREATE OR REPLACE FUNCTION rag.drift_snapshot_all() RETURNS int
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant text;
    v_n int := 0;
BEGIN
    FOR v_tenant IN SELECT DISTINCT c.tenant FROM rag.drift_centroids c JOIN rag.embedding_models m
                       ON m.id = c.model_id AND m.active ORDER BY 1 LOOP
        PERFORM rag.drift_snapshot(v_tenant);
        v_n := v_n + 1;
    END LOOP;
    RETURN v_n;
END;
$$;

-- What the nightly job runs: every golden set (rag.golden_sets), each run
-- committed as it finishes; a set that fails is reported and the rest run.
-- A procedure that commits cannot carry a SET clause: every name in it is
-- schema-qualified.
CREATE OR REPLACE PROCEDURE rag.run_golden_evaluations()
LANGUAGE plpgsql
AS $$
DECLARE
    g record;
BEGIN
    FOR g IN SELECT * FROM rag.golden_sets ORDER BY set_name LOOP
        BEGIN
            PERFORM rag.evaluate(g.set_name, mode => coalesce(g.options ->> 'mode', 'hybrid'),
                                 rerank => coalesce((g.options ->> 'rerank')::boolean, false),
                                 generate => coalesce((g.options ->> 'generate')::boolean, false),
                                 label => 'nightly');
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'golden set % failed: %', g.set_name, SQLERRM;
        END;
        COMMIT;
    END LOOP;
END;
$$;

-- The latest snapshot of each tenant and signal, with its verdict.
CREATE OR REPLACE VIEW rag.drift_status WITH (security_invoker = true) AS
SELECT DISTINCT ON (s.tenant, s.signal)
       s.tenant, s.signal, s.taken_at, s.reference_n, s.recent_n, s.psi, s.kl,
       CASE WHEN s.psi IS NULL THEN 'too few questions'
            WHEN s.psi > 0.25 THEN 'drift'
            WHEN s.psi > 0.1 THEN 'watch'
            ELSE 'stable' END AS status
  FROM rag.drift_snapshots s
 ORDER BY s.tenant, s.signal, s.taken_at DESC, s.id DESC;

-- The same for rag_monitor, across tenants: figures only.
CREATE OR REPLACE FUNCTION rag.monitor_drift()
RETURNS SETOF rag.drift_status
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM rag.drift_status ORDER BY tenant, signal $$;

COMMENT ON VIEW rag.drift_status IS 'Latest drift snapshot per tenant and signal: PSI, KL and a verdict for alerts';
COMMENT ON COLUMN rag.drift_status.tenant IS 'Tenant whose questions were compared';
COMMENT ON COLUMN rag.drift_status.signal IS 'topics (nearest corpus centroid), top_score (top-1 cosine), refusal, fallback';
COMMENT ON COLUMN rag.drift_status.taken_at IS 'When the snapshot was taken';
COMMENT ON COLUMN rag.drift_status.reference_n IS 'Questions in the reference window';
COMMENT ON COLUMN rag.drift_status.recent_n IS 'Questions in the recent window';
COMMENT ON COLUMN rag.drift_status.psi IS 'Population stability index, recent against reference; NULL: too few questions';
COMMENT ON COLUMN rag.drift_status.kl IS 'KL divergence of the recent distribution from the reference one';
COMMENT ON COLUMN rag.drift_status.status IS 'drift (PSI > 0.25), watch (> 0.1), stable, or too few questions (< 30 a window)';
