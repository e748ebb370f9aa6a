-- Stages of every versioned artefact — embedding models, rerankers, answer
-- prompts, intent parsers — and the promotion gate: a candidate reaches
-- Production only with an evaluation run on every golden set that gates its
-- kind (rag.promotion_gates) and no gated metric worse than Production's by
-- more than the tolerance. Owners may force a promotion, with a reason; it
-- is recorded. Role rag_promoter (ML engineers) moves artefacts through the
-- gate; analysts do not.

-- The shipped answer prompt (py_udfs/prompts/), seeded as the first one.
CREATE OR REPLACE FUNCTION rag._shipped_answer_prompt(OUT name text, OUT template text)
LANGUAGE plpython3u IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs.pg import stages
return stages.shipped_answer_prompt()
$py$;

-- Every artefact and its stage. Embedding models and rerankers are in
-- Production when their registry says so (active, is_default): one notion
-- of "in use"; a recorded Production that the registry no longer agrees
-- with (rag.activate_model was called directly) reads as Staging.
CREATE OR REPLACE VIEW rag.artefact_stages_current WITH (security_invoker = true) AS
WITH artefacts AS (
    SELECT 'embedding_model'::text AS kind, m.name, m.active AS in_use FROM rag.embedding_models m
    UNION ALL SELECT 'reranker', r.name, r.is_default FROM rag.rerankers r
    UNION ALL SELECT 'answer_prompt', p.name, NULL FROM rag.answer_prompts p
    UNION ALL SELECT 'intent_parser', x.name, NULL FROM (VALUES ('rules'), ('llm')) AS x(name))
SELECT a.kind, a.name,
       CASE WHEN a.in_use THEN 'Production'
            WHEN a.in_use IS NOT NULL AND s.stage = 'Production' THEN 'Staging'
            ELSE coalesce(s.stage, 'None') END AS stage,
       s.changed_at
  FROM artefacts a
  LEFT JOIN rag.artefact_stages s ON s.kind = a.kind AND s.name = a.name;

-- The latest finished evaluation of an artefact on a set: for intent
-- parsers the golden-set runs (rag.intent_eval_runs, by parser name), for
-- the rest the runs whose configuration names the artefact.
CREATE OR REPLACE FUNCTION rag._gate_metric(kind text, name text, set_name text, metric text,
                                            OUT run_id bigint, OUT value float8)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF kind = 'intent_parser' THEN
        SELECT r.id, r.accuracy INTO run_id, value FROM rag.intent_eval_runs r
         WHERE r.parser = _gate_metric.name ORDER BY r.run_at DESC, r.id DESC LIMIT 1;
        RETURN;
    END IF;
    EXECUTE format('SELECT m.run_id, m.%I::float8 FROM rag.eval_run_metrics m JOIN rag.eval_runs r ON r.id = m.run_id
                     WHERE m.set_name = $1 AND m.status = ''done'' AND r.config ->> $2 = $3
                     ORDER BY r.finished_at DESC, r.id DESC LIMIT 1', metric)
       INTO run_id, value
       USING set_name, CASE kind WHEN 'embedding_model' THEN 'embedding_model' WHEN 'reranker' THEN 'reranker'
                                 ELSE 'answer_prompt' END, name;
END;
$$;

-- The gate's verdict for a candidate: one entry per gated set and metric,
-- with both values, their runs and whether it passes.
CREATE OR REPLACE FUNCTION rag.promotion_check(kind text, name text)
RETURNS TABLE (set_name text, metric text, candidate float8, candidate_run bigint, production_name text,
               production float8, production_run bigint, tolerance float8, passes boolean, why text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    g rag.promotion_gates;
    c record;
    p record;
    v_prod text;
    v_lower_better boolean;
BEGIN
    SELECT s.name INTO v_prod FROM rag.artefact_stages_current s
     WHERE s.kind = promotion_check.kind AND s.stage = 'Production' AND s.name <> promotion_check.name;
    FOR g IN SELECT * FROM rag.promotion_gates x WHERE x.kind = promotion_check.kind ORDER BY x.set_name, x.metric LOOP
        SELECT * INTO c FROM rag._gate_metric(kind, name, g.set_name, g.metric);
        SELECT * INTO p FROM rag._gate_metric(kind, v_prod, g.set_name, g.metric);  -- none: NULLs
        v_lower_better := g.metric = 'hallucination_rate';
        set_name := g.set_name; metric := g.metric; tolerance := g.tolerance; production_name := v_prod;
        candidate := c.value; candidate_run := c.run_id; production := p.value; production_run := p.run_id;
        IF c.run_id IS NULL THEN
            passes := false;
            why := format('no finished evaluation run of %s %s on set %s', kind, name, g.set_name);
        ELSIF c.value IS NULL THEN
            passes := false;
            why := format('%s is not measured by run %s (set %s)', g.metric, c.run_id, g.set_name);
        ELSIF p.value IS NULL THEN
            passes := true;
            why := format('%s %s; no Production run to compare', g.metric, round(c.value::numeric, 3));
        ELSIF (NOT v_lower_better AND c.value < p.value - g.tolerance)
              OR (v_lower_better AND c.value > p.value + g.tolerance) THEN
            passes := false;
            why := format('%s %s %s production %s %s tolerance %s: worse by %s (run %s vs %s, set %s)', g.metric,
                          round(c.value::numeric, 3), CASE WHEN v_lower_better THEN '>' ELSE '<' END,
                          round(p.value::numeric, 3), CASE WHEN v_lower_better THEN '+' ELSE '-' END,
                          round(g.tolerance::numeric, 3), round(abs(c.value - p.value)::numeric, 3), c.run_id,
                          p.run_id, g.set_name);
        ELSE
            passes := true;
            why := format('%s %s vs production %s', g.metric, round(c.value::numeric, 3), round(p.value::numeric, 3));
        END IF;
        RETURN NEXT;
    END LOOP;
END;
$$;

-- Moves an artefact to a stage. To Production: through the gate (or forced
-- by an owner, with a reason), making it the one in use — the active
-- embedding model (rag.activate_model's checks apply), the default
-- reranker, the prompt the LLM is given, the parser rag.ask uses — while
-- the previous one goes to Archived (archive_existing) or back to Staging.
-- Production is left only by promoting another.
CREATE OR REPLACE FUNCTION rag.transition_stage(kind text, name text, stage text, archive_existing boolean DEFAULT true,
                                                force boolean DEFAULT false, reason text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_from text;
    v_prod text;
    v_evidence jsonb := '[]';
    v_blocked text;
    v_forced boolean := false;
BEGIN
    IF kind IS NULL OR kind NOT IN ('embedding_model', 'reranker', 'answer_prompt', 'intent_parser') THEN
        RAISE EXCEPTION 'unknown artefact kind %', coalesce(quote_literal(kind), 'NULL') USING ERRCODE = '22023',
            HINT = 'one of embedding_model, reranker, answer_prompt, intent_parser';
    ELSIF stage IS NULL OR stage NOT IN ('None', 'Staging', 'Production', 'Archived') THEN
        RAISE EXCEPTION 'unknown stage %', coalesce(quote_literal(stage), 'NULL') USING ERRCODE = '22023',
            HINT = 'one of None, Staging, Production, Archived';
    ELSIF coalesce(force, false) AND NOT rag.caller_is_dba() THEN
        RAISE EXCEPTION 'only an owner may force a stage transition' USING ERRCODE = '42501',
            HINT = 'promote through the gate: evaluate the candidate (rag.evaluate) on the gated sets';
    ELSIF coalesce(force, false) AND coalesce(btrim(reason), '') = '' THEN
        RAISE EXCEPTION 'a forced transition needs a reason' USING ERRCODE = '22023',
            HINT = 'pass reason => ''why the gate is overridden''';
    END IF;
    -- One transition at a time: the gate reads Production, then changes it.
    LOCK TABLE rag.artefact_stages IN SHARE ROW EXCLUSIVE MODE;
    SELECT s.stage INTO v_from FROM rag.artefact_stages_current s
     WHERE s.kind = transition_stage.kind AND s.name = transition_stage.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown % %', replace(kind, '_', ' '), coalesce(quote_literal(name), 'NULL')
              USING ERRCODE = '22023', HINT = 'SELECT name, stage FROM rag.artefact_stages_current WHERE kind = '
                                               || quote_literal(kind);
    ELSIF v_from = stage THEN
        RAISE EXCEPTION '% % is already in %', replace(kind, '_', ' '), name, stage USING ERRCODE = '55000';
    ELSIF v_from = 'Production' THEN
        RAISE EXCEPTION '% % is in Production; promote another one to replace it', replace(kind, '_', ' '), name
              USING ERRCODE = '55000', HINT = 'rag.transition_stage(kind, other_name, ''Production'')';
    END IF;

    IF stage = 'Production' THEN
        SELECT coalesce(jsonb_agg(to_jsonb(c)), '[]'), string_agg(c.why, '; ') FILTER (WHERE NOT c.passes)
          INTO v_evidence, v_blocked FROM rag.promotion_check(kind, name) c;
        IF v_evidence = '[]' THEN
            v_blocked := format('no golden set gates %s promotions', kind);
        END IF;
        IF v_blocked IS NOT NULL AND NOT coalesce(force, false) THEN
            RAISE EXCEPTION 'cannot promote % % to Production: %', replace(kind, '_', ' '), name, v_blocked
                  USING ERRCODE = '55000',
                        HINT = CASE WHEN v_evidence = '[]'
                                    THEN 'add its golden sets to rag.promotion_gates (kind, set_name, metric, tolerance)'
                                    ELSE 'evaluate an improved candidate (rag.evaluate), or, as an owner, force => true'
                                         || ' with a reason' END;
        END IF;
        v_forced := v_blocked IS NOT NULL;
        SELECT s.name INTO v_prod FROM rag.artefact_stages_current s
         WHERE s.kind = transition_stage.kind AND s.stage = 'Production';
        IF kind = 'embedding_model' THEN
            PERFORM rag.activate_model(name);
        ELSIF kind = 'reranker' THEN
            -- Two statements: the "one default" index is checked row by row.
            UPDATE rag.rerankers r SET is_default = false WHERE r.is_default;
            UPDATE rag.rerankers r SET is_default = true WHERE r.name = transition_stage.name;
        END IF;
        IF v_prod IS NOT NULL THEN
            PERFORM rag._record_stage(kind, v_prod, 'Production',
                                      CASE WHEN archive_existing THEN 'Archived' ELSE 'Staging' END, false,
                                      format('replaced by %s', name), '{}');
        END IF;
    END IF;
    PERFORM rag._record_stage(kind, name, v_from, stage, v_forced, reason, jsonb_build_object('gate', v_evidence));
    RETURN jsonb_build_object('kind', kind, 'name', name, 'from', v_from, 'to', stage, 'forced', v_forced,
                              'replaced', v_prod, 'gate', v_evidence);
END;
$$;

CREATE OR REPLACE FUNCTION rag._record_stage(kind text, name text, from_stage text, to_stage text, forced boolean,
                                             reason text, evidence jsonb)
RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO rag.artefact_stages AS s (kind, name, stage) VALUES (kind, name, to_stage)
    ON CONFLICT (kind, name) DO UPDATE SET stage = excluded.stage, changed_at = now();
    INSERT INTO rag.stage_history (kind, name, from_stage, to_stage, forced, reason, changed_by, evidence)
    VALUES (kind, name, from_stage, to_stage, forced, reason, rag.caller(), evidence);
$$;

-- What the answer and intent paths use: the Production prompt (none: the
-- shipped one) and how rag.ask parses ('rules' only, or 'auto': the rules,
-- then the LLM when one is configured).
CREATE OR REPLACE FUNCTION rag._production_prompt(OUT name text, OUT template text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT p.name, p.template FROM rag.artefact_stages s JOIN rag.answer_prompts p ON p.name = s.name
     WHERE s.kind = 'answer_prompt' AND s.stage = 'Production'
$$;

CREATE OR REPLACE FUNCTION rag._production_parser() RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT 'rules' FROM rag.artefact_stages s
                      WHERE s.kind = 'intent_parser' AND s.stage = 'Production' AND s.name = 'rules'), 'auto')
$$;

COMMENT ON VIEW rag.artefact_stages_current IS 'Every versioned artefact and its stage (None, Staging, Production, Archived)';
COMMENT ON COLUMN rag.artefact_stages_current.kind IS 'embedding_model, reranker, answer_prompt or intent_parser';
COMMENT ON COLUMN rag.artefact_stages_current.name IS 'The artefact''s name in its registry';
COMMENT ON COLUMN rag.artefact_stages_current.stage IS 'Its stage; Production is the one in use';
COMMENT ON COLUMN rag.artefact_stages_current.changed_at IS 'When its stage was last recorded; NULL: never moved';
