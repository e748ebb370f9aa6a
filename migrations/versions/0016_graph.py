"""GraphRAG: entities, mentions, relations and their extraction queue.

Revision ID: 0016_graph
Revises: 0015_mlflow
"""
from alembic import op

from ragsql import sqlfiles

revision = "0016_graph"
down_revision = "0015_mlflow"
branch_labels = None
depends_on = None


def upgrade():
    sqlfiles.apply(op.get_bind().connection.dbapi_connection, "schema/0016_graph.sql")


def downgrade():
    # The graph is derived from the chunks: a later upgrade extracts it again
    # (rag.enable_graph per tenant). The previous release must find neither
    # the trigger that queues chunks nor the answer path's graph overloads.
    op.execute("DROP TRIGGER IF EXISTS queue_graph_extraction ON rag.chunks")
    op.execute("DROP VIEW IF EXISTS rag.graph_queue_status")
    for fn in ("rag.answer(text, int, text, jsonb, text, int, boolean, text, boolean)",
               "rag.answer_text(text, int, text, jsonb, text, int, boolean, text, boolean)",
               "rag._answer(text, int, text, jsonb, text, int, boolean, text, boolean)",
               "rag.graph_search(text, int, int, text, jsonb, int, text)",
               "rag._graph_search",  # unique name: its vector type lives in the extension's schema
               "rag.process_graph_queue(int, bigint)", "rag._extract_graph(text[], text[], text[], text[])",
               "rag._embed_entity_names(bigint[])", "rag._queue_graph_extraction()",
               "rag.enable_graph(text, text, text, boolean)", "rag.disable_graph(text, boolean)",
               "rag.entity_key(text)"):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.execute("DROP TABLE rag.graph_queue, rag.relations, rag.mentions, rag.entities, rag.graph_settings")
