"""Document versions (upsert by source), vectorizers, feedback, per-tenant logs.

Revision ID: 0011_lifecycle
Revises: 0010_structure
"""
from alembic import op

from ragsql import sqlfiles
from ragsql.migration_guard import refuse_data_loss

revision = "0011_lifecycle"
down_revision = "0010_structure"
branch_labels = None
depends_on = None


def upgrade():
    sqlfiles.apply(op.get_bind().connection.dbapi_connection, "schema/0011_lifecycle.sql")


def downgrade():
    # Pending versions are not searchable yet: dropping them loses nothing
    # the previous release can show (their live versions stay). Ratings and
    # vectorizer definitions are lost: pg_dump before downgrading.
    refuse_data_loss(revision, ["rag.feedback"])
    # The answer path's API of this release (feedback, the answer log's
    # refusal_reason, the views over intent_log.tenant, the endpoint
    # argument): the previous release re-creates its own, and must find no
    # overload of these to clash with.
    op.execute("DROP VIEW IF EXISTS rag.feedback_daily, rag.answer_stats, rag.intent_stats CASCADE")  # and monitor_*_stats
    for fn in ("rag.give_feedback(bigint, int, text)",
               "rag._log_answer(text, text, bigint[], text, boolean, text, jsonb, text, jsonb, text)",
               "rag.answer(text, int, text, jsonb, text, int, boolean, text)",
               "rag.answer_text(text, int, text, jsonb, text, int, boolean, text)",
               "public.rag_answer(text, text, text)", "public.rag_answer_text(text, text, text)",
               "rag._answer(text, int, text, jsonb, text, int, boolean, text)",
               "rag._sees_documents(text)", "rag._raise_clean(text, text, text, text)"):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.execute("DELETE FROM rag.documents WHERE pending")
    # Vectorizer triggers on users' tables go first (they call functions
    # that read rag.vectorizers); the documents they wrote stay, as plain
    # documents. The release before this one must not find the functions
    # and views that use the new columns.
    op.execute("""DO $$
        DECLARE t record;
        BEGIN
            FOR t IN SELECT tr.tgname, tr.tgrelid::regclass AS rel FROM pg_trigger tr
                      WHERE tr.tgfoid = to_regprocedure('rag._vectorizer_trigger()') LOOP
                EXECUTE format('DROP TRIGGER %I ON %s', t.tgname, t.rel);
            END LOOP;
        END $$""")
    op.execute("DROP VIEW IF EXISTS rag.pending_versions")
    for fn in ("rag.create_vectorizer", "rag.drop_vectorizer", "rag._vectorizer_trigger", "rag._vectorizer_write",
               "rag._vectorizer_query", "rag._register_vectorizer", "rag._unregister_vectorizer",
               "rag._vectorizer_of", "rag._store_document", "rag._promote_versions", "rag.promote_versions",
               "rag._delete_source", "rag.delete_source"):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.execute("DROP TABLE rag.feedback")
    op.execute("DROP TABLE rag.vectorizers")
    op.execute("ALTER TABLE rag.chunks DROP COLUMN live")
    op.execute("DROP INDEX rag.documents_tenant_source_idx")  # on kept columns: the upgrade re-creates it
    op.execute("ALTER TABLE rag.documents DROP COLUMN replaces, DROP COLUMN pending")
    # rag.ask and its forms log intent_log.tenant: the previous release's API
    # brings back its own rag.ask(text, date) and rag_ask(text).
    for fn in ("public.rag_ask_rows(text, text, boolean)", "public.rag_ask_text(text, text, boolean)",
               "public.rag_ask(text, text, boolean)", "rag.ask_rows(text, date, text, boolean, text)",
               "rag.ask_text(text, date, text, boolean, text)", "rag.ask(text, date, text, boolean, text)",
               "rag._log_intent_call(text, text, date, jsonb, text[], text, int, float8, jsonb, text)"):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.execute("ALTER TABLE rag.intent_log DROP COLUMN tenant")
    op.execute("ALTER TABLE rag.answer_log DROP COLUMN refusal_reason")
