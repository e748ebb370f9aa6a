"""Ratings of answers: rag.give_feedback rates only answers the caller may
see, copies the answer's tenant, and rag.feedback_daily shows the ratings
per day and tenant under row security."""
import uuid

import psycopg
import pytest
from psycopg.rows import dict_row

from .conftest import ingest

QUESTION = "¿Cuántos días tienen los mayoristas para devolver mercadería?"


@pytest.fixture
def world(conn, db_url):
    """Two tenants; analysts a1 and a2 of tenant A, b1 of tenant B; each has
    asked one question of their own tenant."""
    tag = uuid.uuid4().hex[:8]
    t = {"a": f"fb_a_{tag}", "b": f"fb_b_{tag}"}
    roles = {"a1": f"fb_a1_{tag}", "a2": f"fb_a2_{tag}", "b1": f"fb_b1_{tag}"}
    for k in t:
        ingest(conn, "Los clientes mayoristas pueden devolver mercadería dentro de los 30 días corridos.",
               "Devoluciones", {}, t[k])
    for r, role in roles.items():
        conn.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE rag_user')
        conn.execute("SELECT rag.grant_tenant(%s, %s)", (role, t[r[0]]))
    sessions = {r: psycopg.connect(db_url.replace("postgres@", f"{role}@", 1), autocommit=True,
                                   row_factory=dict_row) for r, role in roles.items()}
    answers = {r: c.execute("SELECT rag.answer(%s, tenant => %s) ->> 'answer_id' AS id",
                            (QUESTION, t[r[0]])).fetchone()["id"] for r, c in sessions.items()}
    yield {"tenants": t, "roles": roles, "sessions": sessions, "answers": {k: int(v) for k, v in answers.items()}}
    for c in sessions.values():
        c.close()
    for r, role in roles.items():
        conn.execute("SELECT rag.revoke_tenant(%s, %s)", (role, t[r[0]]))
        conn.execute("DELETE FROM rag.answer_log WHERE asked_by = %s", (role,))
        conn.execute(f'DROP ROLE "{role}"')
    for name in t.values():
        conn.execute("DELETE FROM rag.documents WHERE tenant = %s", (name,))


def test_an_analyst_rates_their_own_answer_and_one_of_their_tenant(conn, world):
    a1, a2 = world["sessions"]["a1"], world["sessions"]["a2"]
    own = a1.execute("SELECT rag.give_feedback(%s, 5, 'justo lo que buscaba') AS id",
                     (world["answers"]["a1"],)).fetchone()["id"]
    colleague = a1.execute("SELECT rag.give_feedback(%s, 2) AS id", (world["answers"]["a2"],)).fetchone()["id"]
    rows = conn.execute("SELECT id, answer_id, rating, comment, tenant, given_by FROM rag.feedback"
                        " WHERE id IN (%s, %s) ORDER BY id", (own, colleague)).fetchall()
    assert [(r["rating"], r["comment"], r["tenant"], r["given_by"]) for r in rows] == [
        (5, "justo lo que buscaba", world["tenants"]["a"], world["roles"]["a1"]),
        (2, None, world["tenants"]["a"], world["roles"]["a1"])]
    # a colleague of the tenant sees both ratings; the daily view sums them
    seen = a2.execute("SELECT count(*) AS n FROM rag.feedback").fetchone()["n"]
    assert seen == 2
    day = a2.execute("SELECT * FROM rag.feedback_daily WHERE tenant = %s", (world["tenants"]["a"],)).fetchone()
    assert day["ratings"] == 2 and day["mean_rating"] == 3.5 and day["share_good"] == 0.5
    assert day["share_bad"] == 0.5 and day["comments"] == 1 and day["answers_rated"] == 2 and day["raters"] == 1


def test_another_tenants_answer_cannot_be_rated_or_its_ratings_read(conn, world):
    a1, b1 = world["sessions"]["a1"], world["sessions"]["b1"]
    b1.execute("SELECT rag.give_feedback(%s, 1, 'zafiro: secreto de B')", (world["answers"]["b1"],))
    before = conn.execute("SELECT count(*) AS n FROM rag.feedback").fetchone()["n"]
    missing = conn.execute("SELECT max(id) + 1000 AS id FROM rag.answer_log").fetchone()["id"]
    errors = []
    for answer_id in (world["answers"]["b1"], missing):  # B's answer and none at all: the same error
        with pytest.raises(psycopg.errors.NoDataFound) as err:
            a1.execute("SELECT rag.give_feedback(%s, 5)", (answer_id,))
        errors.append(str(err.value).replace(str(answer_id), "N"))
    assert errors[0] == errors[1]
    assert conn.execute("SELECT count(*) AS n FROM rag.feedback").fetchone()["n"] == before
    assert a1.execute("SELECT count(*) AS n FROM rag.feedback WHERE tenant = %s",
                      (world["tenants"]["b"],)).fetchone()["n"] == 0
    assert a1.execute("SELECT count(*) AS n FROM rag.feedback_daily WHERE tenant = %s",
                      (world["tenants"]["b"],)).fetchone()["n"] == 0
    # no direct write either
    for sql in ("INSERT INTO rag.feedback (answer_id, rating) VALUES (%s, 5)" % world["answers"]["a1"],
                "UPDATE rag.feedback SET rating = 5", "DELETE FROM rag.feedback"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            a1.execute(sql)


def test_ratings_go_with_their_answer(conn, world):
    a1 = world["sessions"]["a1"]
    fid = a1.execute("SELECT rag.give_feedback(%s, 4) AS id", (world["answers"]["a1"],)).fetchone()["id"]
    conn.execute("DELETE FROM rag.answer_log WHERE id = %s", (world["answers"]["a1"],))
    assert conn.execute("SELECT count(*) AS n FROM rag.feedback WHERE id = %s", (fid,)).fetchone()["n"] == 0


def test_a_downgrade_refuses_to_drop_ratings_and_then_drops_this_releases_answer_api():
    import argparse

    from alembic import command

    from ragsql.migration_guard import DataLossRefused

    from .conftest import TEST_DB, admin_url, alembic_cfg, recreate_db
    url = recreate_db(TEST_DB + "_feedback_downgrade")
    cfg = alembic_cfg(url)
    command.upgrade(cfg, "head")
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("SELECT rag.ingest_document('Los mayoristas devuelven en 30 días.', 'D', sync => true)")
        answer_id = c.execute("SELECT (rag_answer('¿Cuántos días?') ->> 'answer_id')::bigint").fetchone()[0]
        c.execute("SELECT rag.give_feedback(%s, 4)", (answer_id,))
    with pytest.raises(DataLossRefused, match=r"rag.feedback \(1 rows\)"):
        command.downgrade(cfg, "0010_structure")
    cfg.cmd_opts = argparse.Namespace(x=["allow_data_loss=true"])
    command.downgrade(cfg, "0010_structure")
    with psycopg.connect(url, autocommit=True) as c:
        gone = c.execute("SELECT to_regclass('rag.feedback'), to_regclass('rag.answer_stats'),"
                         " to_regprocedure('rag.answer(text, int, text, jsonb, text, int, boolean, text, boolean)'),"
                         " to_regprocedure('public.rag_answer(text, text, text)')").fetchone()
        assert gone == (None, None, None, None)
    cfg.cmd_opts = None
    command.upgrade(cfg, "head")
    with psycopg.connect(url, autocommit=True) as c:
        assert c.execute("SELECT rag_answer_text('¿Cuántos días?') LIKE '%%30 días%%'").fetchone()[0]
    with psycopg.connect(admin_url(), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{TEST_DB}_feedback_downgrade" WITH (FORCE)')
