"""The real-documents evaluation set (data/real_docs) and its scoring; no database."""
from pathlib import Path

import pytest

from ragsql import eval_real as er


def test_gold_matching_ignores_case_accents_and_spacing_but_not_word_edges():
    assert er.contains_phrase("Se reembolsa en 30  DÍAS corridos", "30 dias")
    assert er.contains_phrase("the Foreign  function\ninterface", "foreign function interface")
    assert not er.contains_phrase("within 300 days", "30")
    assert not er.contains_phrase("the admin group", "adm")
    assert er.contains_phrase("use --smc-check=all here", "--smc-check=all")
    assert er.gold_hit("level 6.", ["nivel 6", "level 6"]) == "level 6"


def test_outcomes():
    ans = {"id": "a", "split": "dev", "language": "en", "answerable": True, "question": "q",
           "gold": ["37"], "sources": ["/x/doc"]}
    unans = dict(ans, answerable=False, gold=[])
    docs = {1: "/x/doc", 2: "/x/other"}
    good = {"supported": True, "answer": "It had uid 37.", "sources": [{"document_id": 1, "cited": True}]}
    wrong = {"supported": True, "answer": "It had uid 41.", "sources": [{"document_id": 2, "cited": True}]}
    refused = {"supported": False, "answer": "I don't have information about that in the provided sources.",
               "sources": []}
    assert er.score(ans, good, docs)["outcome"] == "correct"
    assert er.score(ans, good, docs)["source_hit"] is True
    assert er.score(ans, wrong, docs)["outcome"] == "wrong_supported"
    assert er.score(ans, wrong, docs)["source_hit"] is False
    assert er.score(ans, refused, docs)["outcome"] == "wrong_refusal"
    assert er.score(unans, refused, docs)["outcome"] == "correct_refusal"
    assert er.score(unans, wrong, docs)["outcome"] == "wrong_supported"


def test_summary_rates():
    rows = [{"answerable": True, "outcome": "correct", "source_hit": True, "elapsed_ms": 10},
            {"answerable": True, "outcome": "wrong_refusal", "source_hit": False, "elapsed_ms": 30},
            {"answerable": False, "outcome": "correct_refusal", "source_hit": False, "elapsed_ms": 20},
            {"answerable": False, "outcome": "wrong_supported", "source_hit": False, "elapsed_ms": 40}]
    s = er.summarise(rows)
    assert (s["correct"], s["correct_refusals"], s["wrong_refusals"]) == (1, 1, 1)
    assert s["score"] == 0.5 and s["wrong_supported_rate"] == 0.25 and s["source_hit_rate"] == 0.5
    assert s["p50_ms"] == 20 and s["p95_ms"] == 40


def test_the_set_is_well_formed():
    qs = er.load_questions(split="all")
    assert len(qs) >= 70
    assert sum(not q["answerable"] for q in qs) / len(qs) >= 0.30
    assert sum(q["language"] == "es" for q in qs) / len(qs) >= 0.40
    for split in ("dev", "test"):
        assert 0.4 <= sum(q["split"] == split for q in qs) / len(qs) <= 0.6


@pytest.mark.skipif(not Path("/usr/share/common-licenses/GPL-3").exists(),
                    reason="the corpus is the documents a Debian machine installs")
def test_every_gold_answer_is_in_its_source_and_every_source_in_the_corpus():
    assert er.check(er.load_questions(split="all"), er.load_corpus()) == []
