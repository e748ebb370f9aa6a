"""Which source sentences an extractive answer quotes (py_udfs/extractive.py,
py_udfs/sentences.py); no database."""
import numpy as np

from py_udfs import extractive, sentences


def _quotable(source):
    return [s for s, ok in extractive._source_sentences(source) if ok]


def _embed_by_words(texts, _):
    """A stand-in embedder for selection logic: bag of words, normalised."""
    vocab = sorted({w for t in texts for w in t.lower().split()})
    m = np.array([[t.lower().split().count(w) for w in vocab] for t in texts], dtype=float)
    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-9)


def test_a_question_in_a_source_is_never_quoted_as_the_answer():
    source = {"content": "1.1. How do you pronounce \"Valgrind\"?\n\nThe \"Val\" as in the word \"value\". "
                         "The \"grind\" is pronounced with a short 'i', like \"grinned\". ¿Cómo se pronuncia "
                         "el nombre del programa?"}
    quoted = _quotable(source)
    assert all(not s.rstrip(" \"").endswith("?") for s in quoted), quoted
    assert any("grinned" in s for s in quoted)


def test_navigation_templates_and_link_lists_are_never_quoted():
    for text in ("Next: Closure Example, Previous: Multiple ABIs, Up: Using libffi",
                 "Copyright (C) <year>  <name of author> and others",
                 "See https://a.example/x and https://b.example/y too",
                 "| --- | --- | --- | --- | --- |"):
        assert not sentences.quotable(text), text
    assert sentences.quotable("The default timeout is 50 seconds for each request.")


def test_stored_cosines_are_used_and_only_the_rest_is_embedded():
    src = {"content": "Refunds take thirty days to process. Shipping is free above fifty euros.",
           "sentence_cosine": {0: 0.99}}
    embedded = []

    def embed(texts, _):
        embedded.extend(texts)
        return _embed_by_words(texts, _)
    scored = extractive.score_sentences("how long do refunds take", [src], embed)
    assert embedded == ["how long do refunds take", "Shipping is free above fifty euros."]
    assert scored[0][1] == 0.99 and scored[0][4].startswith("Refunds")


def test_a_sentence_repeated_by_overlapping_chunks_is_scored_once_under_the_first_source():
    s = "The archive keeps every release for seven years."
    sources = [{"content": f"Old releases are kept. {s}"}, {"content": f"{s} Nothing else is kept."}]
    scored = extractive.score_sentences("how long are releases kept", sources, _embed_by_words)
    rows = [r for r in scored if r[4] == s]
    assert len(rows) == 1 and rows[0][3] == 1
    answer = extractive.extractive(scored, sources)
    assert answer.count(s) == 1


def test_best_sentence_leads_regardless_of_its_position():
    src = {"content": "The project started in a garage long ago. Many people use it today for work. "
                      "The default port of the server is 8080 unless configured."}
    scored = extractive.score_sentences("what is the default port of the server", [src], _embed_by_words)
    assert extractive.extractive(scored, [src]).startswith("The default port of the server is 8080")


def test_a_cut_off_sentence_brings_the_one_after_it():
    src = {"content": "The following values are accepted for the level option:\n\n"
                      "debug, info, warning and error are the accepted levels. Other text follows here."}
    scored = extractive.score_sentences("values accepted for the level option", [src], _embed_by_words)
    answer = extractive.extractive(scored, [src], max_sentences=1)
    assert answer.startswith("The following values are accepted for the level option: debug, info")


def test_a_sentence_that_refers_back_brings_the_one_before_it():
    src = {"content": "adm: Group adm is used for system monitoring tasks. Members of this group can read many "
                      "log files in /var/log, and can use xconsole."}
    scored = extractive.score_sentences("which group can read the log files in /var/log", [src], _embed_by_words)
    assert scored[0][4].startswith("Members of this group")
    answer = extractive.extractive(scored, [src], max_sentences=1)
    assert answer.startswith("adm: Group adm is used for system monitoring tasks. Members of this group")


def test_a_source_in_the_other_language_gets_the_cross_lingual_offset():
    sources = [{"content": "Los pedidos se despachan el mismo día hábil.", "language": "es",
                "sentence_cosine": {0: 0.85}},
               {"content": "Orders placed before noon ship the same business day.", "language": "en",
                "sentence_cosine": {0: 0.82}}]
    scored = extractive.score_sentences("¿cuándo se despachan los pedidos?", sources, None, overlap_weight=0.0,
                                        rank_weight=0.0, language="es")
    by_source = {r[3]: r[1] for r in scored}
    assert by_source[1] == 0.85 and abs(by_source[2] - (0.82 + extractive.CROSS_LINGUAL_OFFSET)) < 1e-9
