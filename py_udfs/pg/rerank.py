"""Entry module of sql/idempotent/065_rerank.sql: the cross-encoder reranker
(the 'signals' reranker is plain SQL)."""
from .. import rerank
from .backend import run, run_model


def cross_encoder_scores(plpy, query, chunk_ids, model_ref):
    """Scores of the chunks (in the given order) against the query."""
    texts = run(plpy, "SELECT rag.embedding_text(d.title, c.section, c.content) AS text"
                      " FROM unnest($1::bigint[]) WITH ORDINALITY AS u(id, ord)"
                      " JOIN rag.chunks c ON c.id = u.id JOIN rag.documents d ON d.id = c.document_id"
                      " ORDER BY u.ord", ["bigint[]"], [chunk_ids])
    try:
        return run_model(plpy, rerank.cross_encoder_scores, model_ref, query, [t["text"] for t in texts])
    except rerank.RerankError as exc:
        plpy.error(str(exc))
