"""Which source sentences an extractive answer may quote (py_udfs/answer.py); no database."""
from py_udfs import answer


def test_a_question_in_a_source_is_never_quoted_as_the_answer():
    source = {"content": "1.1. How do you pronounce \"Valgrind\"?\n\nThe \"Val\" as in the word \"value\". "
                         "The \"grind\" is pronounced with a short 'i', like \"grinned\". ¿Cómo se pronuncia "
                         "el nombre del programa?"}
    quoted = [s for _, s in answer._sentences([source])]
    assert all(not s.rstrip(" \"").endswith("?") for s in quoted), quoted
    assert any("grinned" in s for s in quoted)
