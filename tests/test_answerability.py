"""Near-topic questions: a close sentence that still does not answer
(py_udfs/answerability.py, rag._unknown_terms)."""
from py_udfs import answerability as A
from .conftest import ingest

SHIPPING = ("Los envíos a Buenos Aires cuestan 2.500 pesos y demoran dos días hábiles. "
            "Los envíos al interior del país demoran entre 3 y 5 días hábiles.")


def test_questions_that_ask_for_a_number():
    for q, lang in (("How many days does the repair take?", "en"), ("What version of Python is required?", "en"),
                    ("¿Cuántos días demora el envío?", "es"), ("¿Qué versión de Python hace falta?", "es"),
                    ("¿Cuál es la multa por incumplir?", "es"), ("What UID does the user get?", "en")):
        assert A.expects_number(q, lang), q
    for q, lang in (("Who maintains the package?", "en"), ("¿Qué grupo puede leer los registros?", "es")):
        assert not A.expects_number(q, lang), q


def test_a_number_question_without_a_number_in_the_quoted_sentences_is_not_answered():
    why = A.why_not_an_answer("How many times does pip retry a download?", "en",
                              ["pip downloads packages over HTTPS from the index."], [], True)
    assert why and "number" in why
    assert A.why_not_an_answer("How many days does it take?", "en", ["It takes three days."], [], True) is None


def test_unknown_words_count_only_when_the_sources_share_the_question_language():
    assert "chil" in A.why_not_an_answer("¿Cuánto cuesta el envío a Chile?", "es", ["Cuesta 2.500 pesos."],
                                         ["chil", "cuest", "cuant"], True)
    assert A.why_not_an_answer("¿Qué grupo lee los registros?", "es", ["The adm group reads logs."],
                               ["grup", "registr"], False) is None
    assert A.why_not_an_answer("¿Cuántos están?", "es", ["Son 3."], ["cuant", "estan"], True) is None
    assert A.why_not_an_answer("How long does the warranty last?", "en", ["It covers 12 months."], ["last"],
                               True) is None  # one unknown word is often a paraphrase


def _filler(conn, tenant, n=100):
    """n more chunks (not embedded: only the text statistics count them), so
    the tenant's corpus is large enough for a missing word to count."""
    conn.execute("SELECT count(rag.ingest_document('Nota interna ' || i || ': el depósito ' || i || ' abre a las ocho.',"
                 " tenant => %s)) FROM generate_series(1, %s) i", (tenant, n))


def test_unknown_terms_are_the_tenants_and_allow_a_spelling_variant(conn, tenant):
    ingest(conn, SHIPPING, "Envíos", tenant=tenant)
    ingest(conn, "The license applies to every copy of the program.", "Terms", tenant=tenant)
    conn.execute("SELECT rag.refresh_text_stats()")
    small = conn.execute("SELECT rag._unknown_terms(%s, 'es', %s) AS t",
                         ("¿Cuánto cuesta el envío a Chile?", tenant)).fetchone()["t"]
    assert small == []  # two documents: a missing word means nothing yet
    _filler(conn, tenant)
    conn.execute("SELECT rag.refresh_text_stats()")
    terms = conn.execute("SELECT rag._unknown_terms(%s, 'es', %s) AS t",
                         ("¿Cuánto cuesta el envío a Chile?", tenant)).fetchone()["t"]
    assert "chil" in terms and "envi" not in terms
    terms = conn.execute("SELECT rag._unknown_terms('Which licence applies to copies?', 'en', %s) AS t",
                         (tenant,)).fetchone()["t"]
    assert terms == []


def test_rag_answer_refuses_a_near_topic_question_and_says_why(conn, tenant):
    ingest(conn, SHIPPING, "Envíos", tenant=tenant)
    _filler(conn, tenant)
    conn.execute("SELECT rag.refresh_text_stats()")
    out = conn.execute("SELECT rag.answer('¿Cuánto cuesta el envío marítimo a Chile?', tenant => %s) AS a",
                       (tenant,)).fetchone()["a"]
    assert not out["supported"] and out["refusal_reason"]
    out = conn.execute("SELECT rag.answer('¿Cuánto cuesta el envío a Buenos Aires?', tenant => %s) AS a",
                       (tenant,)).fetchone()["a"]
    assert out["supported"] and "2.500" in out["answer"] and out["refusal_reason"] is None
