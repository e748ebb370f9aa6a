"""rag.chunk: paragraph and sentence boundaries, size budget, overlap."""
from py_udfs.chunking import chunk_text
from py_udfs.textutil import split_sentences

TEXT = ("El primer párrafo habla de devoluciones. Los mayoristas tienen 30 días. "
        "La factura original es obligatoria.\n\n"
        "El segundo párrafo trata sobre envíos. Se despachan el mismo día. "
        "Las entregas demoran entre 3 y 5 días hábiles en el interior.")


def test_sentences_are_never_cut():
    sentences = split_sentences(TEXT.replace("\n\n", " "))
    for max_chars in (70, 90, 140, 400):  # longest sentence: 61 chars
        for chunk in chunk_text(TEXT, max_chars, 30):
            assert len(chunk) <= max_chars
            for piece in split_sentences(chunk.replace("\n\n", " ")):
                assert piece in sentences, (max_chars, piece)


def test_everything_is_covered_in_order():
    chunks = chunk_text(TEXT, 90, 0)
    joined = " ".join(c.replace("\n\n", " ") for c in chunks)
    assert joined == TEXT.replace("\n\n", " ")


def test_overlap_repeats_trailing_sentence():
    chunks = chunk_text(TEXT, 110, 40)
    assert len(chunks) >= 3
    last_sentence = split_sentences(chunks[0])[-1]
    assert chunks[1].startswith(last_sentence)


def test_paragraph_break_is_kept_inside_a_chunk():
    chunks = chunk_text(TEXT, 1000, 100)
    assert chunks == [TEXT]


def test_long_sentence_is_the_only_thing_cut():
    long_sentence = "Palabra " + "palabra " * 99 + "final."
    chunks = chunk_text("Corta. " + long_sentence.strip(), 120, 0)
    assert chunks[0] == "Corta."
    assert all(len(c) <= 120 for c in chunks)
    assert " ".join(chunks[1:]) == long_sentence.strip()


def test_abbreviations_and_decimals_do_not_split():
    assert split_sentences("El Sr. Pérez pagó 3.5 kg. Luego se fue.") == ["El Sr. Pérez pagó 3.5 kg.", "Luego se fue."]


def test_sql_chunking_returns_the_same_chunks_as_python_numbered_from_zero(conn):
    rows = conn.execute("SELECT seq, chunk FROM rag.chunk(%s, 110, 40)", (TEXT,)).fetchall()
    assert [r["chunk"] for r in rows] == chunk_text(TEXT, 110, 40)
    assert [r["seq"] for r in rows] == list(range(len(rows)))


def test_overlap_not_smaller_than_the_budget_is_rejected(conn):
    import psycopg
    import pytest
    with pytest.raises(psycopg.Error, match="overlap_chars"):
        conn.execute("SELECT * FROM rag.chunk('Hola. Chau.', 100, 100)")
