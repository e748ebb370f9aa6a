-- Ratings of answers: an analyst rates an answer (its answer_id, from
-- rag.answer's JSON or rag.answers) from 1 to 5, with an optional comment;
-- rag.feedback_daily shows the ratings over time.

-- The one writer of rag.feedback (analysts cannot write the table). The
-- caller may rate an answer they asked, or one in a tenant granted to them;
-- any other id, existing or not, gets the same error, so the function says
-- nothing about other people's answers. The tenant is copied from the
-- answer, for row security.
CREATE OR REPLACE FUNCTION rag.give_feedback(answer_id bigint, rating int, comment text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant text;
    v_id bigint;
BEGIN
    IF give_feedback.answer_id IS NULL OR give_feedback.rating IS NULL THEN
        RAISE EXCEPTION 'answer_id and rating are required'
              USING ERRCODE = '22004', HINT = 'SELECT rag.give_feedback(answer_id, rating => 1..5, comment => ''...'')';
    END IF;
    IF give_feedback.rating NOT BETWEEN 1 AND 5 THEN
        RAISE EXCEPTION 'rating must be between 1 and 5, not %', give_feedback.rating
              USING ERRCODE = '22023', HINT = '1 is the worst, 5 the best';
    END IF;
    IF length(give_feedback.comment) > 2000 THEN
        RAISE EXCEPTION 'comment is % characters long; the limit is 2000', length(give_feedback.comment)
              USING ERRCODE = '22001', HINT = 'shorten the comment';
    END IF;
    SELECT l.tenant INTO v_tenant FROM rag.answer_log l
     WHERE l.id = give_feedback.answer_id
       AND (l.asked_by = rag.caller() OR l.tenant = ANY (rag.caller_tenants()) OR rag.caller_is_dba());
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no answer % that you may rate', give_feedback.answer_id
              USING ERRCODE = 'P0002',
                    HINT = 'rate your own answers (rag.answers lists them) or answers in a tenant granted to you';
    END IF;
    INSERT INTO rag.feedback (answer_id, rating, comment, tenant, given_by)
    VALUES (give_feedback.answer_id, give_feedback.rating, nullif(btrim(give_feedback.comment), ''), v_tenant,
            rag.caller())
    RETURNING id INTO v_id;
    RETURN v_id;
END;
$$;

-- Ratings per day and tenant, as the caller sees them (row security: their
-- own ratings and those of the tenants granted to them).
CREATE OR REPLACE VIEW rag.feedback_daily WITH (security_invoker = true) AS
SELECT date_trunc('day', f.given_at) AS day, f.tenant,
       count(*) AS ratings,
       round(avg(f.rating), 2)::float8 AS mean_rating,
       avg((f.rating >= 4)::int)::float8 AS share_good,
       avg((f.rating <= 2)::int)::float8 AS share_bad,
       count(f.comment) AS comments,
       count(DISTINCT f.answer_id) AS answers_rated,
       count(DISTINCT f.given_by) AS raters
  FROM rag.feedback f
 GROUP BY 1, 2;

COMMENT ON VIEW rag.feedback_daily IS 'Ratings of answers (rag.give_feedback) per day and tenant';
COMMENT ON COLUMN rag.feedback_daily.day IS 'Day the ratings were given (start, server time zone)';
COMMENT ON COLUMN rag.feedback_daily.tenant IS 'The rated answers'' tenant; NULL: answers asked across every visible tenant';
COMMENT ON COLUMN rag.feedback_daily.ratings IS 'Ratings given that day';
COMMENT ON COLUMN rag.feedback_daily.mean_rating IS 'Mean rating, 1 (worst) to 5 (best)';
COMMENT ON COLUMN rag.feedback_daily.share_good IS 'Share of ratings of 4 or 5';
COMMENT ON COLUMN rag.feedback_daily.share_bad IS 'Share of ratings of 1 or 2';
COMMENT ON COLUMN rag.feedback_daily.comments IS 'Ratings that came with a comment';
COMMENT ON COLUMN rag.feedback_daily.answers_rated IS 'Distinct answers rated';
COMMENT ON COLUMN rag.feedback_daily.raters IS 'Distinct roles that rated';
