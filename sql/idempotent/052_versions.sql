-- Versions of a source (040_ingest.sql stores them): a pending version
-- becomes live, and the version it replaces goes, in one transaction once
-- every chunk of it has its vectors; until then searches see the old one.
-- A version whose embedding failed stays pending and the old one stays live
-- (rag.pending_versions shows it): nothing is lost.

-- Promotes the pending documents among `document_ids` that have nothing
-- left in the queue for an active or re-embedding model; returns how many.
-- Runs inside the queue worker and ingest (as the rag owner). With wait =>
-- false a source another transaction holds (a load, a delete, another
-- worker's promotion) is skipped rather than waited for: a worker holds its
-- claimed queue rows, and a load deleting a superseded version waits on
-- them, so waiting here could deadlock. rag.promote_versions() at the end
-- of every drain picks up what was skipped.
CREATE OR REPLACE FUNCTION rag._promote_versions(document_ids bigint[], wait boolean DEFAULT true) RETURNS int
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d record;
    v_n int := 0;
BEGIN
    FOR d IN SELECT x.id, x.tenant, x.source FROM rag.documents x
              WHERE x.id = ANY (document_ids) AND x.pending ORDER BY x.id LOOP
        IF wait THEN
            PERFORM pg_advisory_xact_lock(k.k1, k.k2) FROM rag._source_lock_key(d.tenant, d.source) k;
        ELSIF NOT (SELECT pg_try_advisory_xact_lock(k.k1, k.k2) FROM rag._source_lock_key(d.tenant, d.source) k) THEN
            CONTINUE;
        END IF;
        -- Read again under the lock (a new snapshot): another worker's batch
        -- of the same version, committed meanwhile, counts as done.
        CONTINUE WHEN NOT EXISTS (SELECT 1 FROM rag.documents x WHERE x.id = d.id AND x.pending);
        CONTINUE WHEN EXISTS (
            SELECT 1 FROM rag.embedding_queue q
              JOIN rag.chunks c ON c.id = q.chunk_id
              JOIN rag.embedding_models m ON m.id = q.model_id
             WHERE c.document_id = d.id AND (m.active OR m.reembedding));
        UPDATE rag.chunks c SET live = true WHERE c.document_id = d.id AND NOT c.live;
        UPDATE rag.documents x SET pending = false, replaces = NULL WHERE x.id = d.id;
        -- Every other live version goes (not only the one it replaced: a
        -- source loaded twice by an earlier release has two).
        DELETE FROM rag.documents x
         WHERE x.tenant = d.tenant AND x.source = d.source AND NOT x.pending AND x.id <> d.id;
        v_n := v_n + 1;
    END LOOP;
    RETURN v_n;
END;
$$;

-- Promotes every ready pending version of the tenants the caller may write
-- (the drain calls it last; a DBA after fixing a failed embedding).
CREATE OR REPLACE FUNCTION rag.promote_versions() RETURNS int
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT rag._promote_versions(coalesce(array_agg(d.id), '{}'), true)
      FROM rag.documents d WHERE d.pending AND rag.may_write_tenant(d.tenant)
$$;

-- Every version of a source (live and pending), under the source's lock;
-- returns how many documents went. The callers check who may write.
CREATE OR REPLACE FUNCTION rag._delete_source(tenant text, source text) RETURNS int
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_n int;
BEGIN
    PERFORM pg_advisory_xact_lock(k.k1, k.k2) FROM rag._source_lock_key(_delete_source.tenant, _delete_source.source) k;
    DELETE FROM rag.documents d WHERE d.tenant = _delete_source.tenant AND d.source = _delete_source.source;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END;
$$;

-- Zero when there is no such source or it is in a tenant the caller may not
-- write: the same answer, so no existence oracle.
CREATE OR REPLACE FUNCTION rag.delete_source(source text, tenant text DEFAULT 'default') RETURNS int
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF delete_source.source IS NULL OR delete_source.tenant IS NULL THEN
        RAISE EXCEPTION 'source and tenant must not be NULL' USING ERRCODE = '22023';
    END IF;
    IF NOT rag.may_write_tenant(delete_source.tenant) THEN
        RETURN 0;
    END IF;
    RETURN rag._delete_source(delete_source.tenant, delete_source.source);
END;
$$;

-- Pending versions and why they wait: chunks still queued, or failed
-- (parked after rag.queue_max_attempts() tries; the live version they
-- replace is still the one searched). Read as the caller: row security.
CREATE OR REPLACE VIEW rag.pending_versions WITH (security_invoker = true) AS
SELECT d.id AS document_id, d.tenant, d.source, d.title, d.replaces, d.created_at,
       count(q.chunk_id) FILTER (WHERE q.attempts < rag.queue_max_attempts()) AS queued,
       count(q.chunk_id) FILTER (WHERE q.attempts >= rag.queue_max_attempts()) AS failed,
       (array_agg(q.last_error ORDER BY q.enqueued_at DESC) FILTER (WHERE q.last_error IS NOT NULL))[1] AS last_error
  FROM rag.documents d
  LEFT JOIN rag.chunks c ON c.document_id = d.id
  LEFT JOIN rag.embedding_queue q ON q.chunk_id = c.id
 WHERE d.pending
 GROUP BY d.id;
