"""The documented sales examples (docs/intents.md) return what the page says they return:
each `SELECT rag_ask_text(...)` followed by `-- ` lines, and each
`SELECT * FROM rag_ask_rows(...)` followed by `--  fila | ...` rows, run
against the demo sales data (its rows are the same on every install)."""
import re
from pathlib import Path

import pytest

PAGE = (Path(__file__).resolve().parent.parent / "docs" / "intents.md").read_text(encoding="utf-8")
LINES = PAGE.splitlines()


def _examples(pattern):
    """(statement, the comment lines right under it) for each statement
    matching `pattern`, in the page's order."""
    out = []
    for i, line in enumerate(LINES):
        m = re.match(pattern, line.strip())
        if not m:
            continue
        shown = []
        for nxt in LINES[i + 1:]:
            if not nxt.strip().startswith("--"):
                break
            shown.append(nxt.strip()[2:].strip())
        if shown:
            out.append((m.group(1), shown))
    return out


def _norm(text):
    return " ".join(text.split())


TEXT_EXAMPLES = _examples(r"^(SELECT rag_ask_text\('[^']*'\));")
ROWS_EXAMPLES = _examples(r"^(SELECT \* FROM rag_ask_rows\('[^']*'\));")


def test_the_readme_has_examples_to_check():
    assert len(TEXT_EXAMPLES) >= 3 and len(ROWS_EXAMPLES) >= 1


@pytest.mark.parametrize("statement,shown", TEXT_EXAMPLES, ids=[s for s, _ in TEXT_EXAMPLES])
def test_a_text_example_prints_what_the_readme_shows(conn, statement, shown):
    got = _norm(conn.execute(statement + " AS t").fetchone()["t"])
    # lines up to an empty comment line are one wrapped sentence; after it, table lines
    lines, sentence = [], []
    for line in shown:
        if line.startswith("(") or line == "...":
            continue
        if not line and sentence:
            lines.append(" ".join(sentence))
            sentence = None
        elif sentence is None:
            lines.append(line)
        elif line:
            sentence.append(line)
    if sentence:
        lines.append(" ".join(sentence))
    for line in filter(None, lines):
        assert _norm(line) in got, f"{statement}: the page shows {line!r}; got {got!r}"


@pytest.mark.parametrize("statement,shown", ROWS_EXAMPLES, ids=[s for s, _ in ROWS_EXAMPLES])
def test_a_rows_example_returns_the_rows_the_readme_shows(conn, statement, shown):
    header = [c.strip() for c in shown[0].split("|")]
    rows = conn.execute(statement).fetchall()
    for line in shown[1:]:
        cells = [c.strip() for c in line.split("|")]
        got = rows[int(cells[0]) - 1]
        for name, cell in zip(header, cells):
            if cell in ("...", "") or cell.startswith("{"):
                continue
            assert str(got[name]) == cell, f"{statement}: row {cells[0]} {name}: the page {cell!r}, got {got[name]!r}"
