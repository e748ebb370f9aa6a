"""python -m ragsql ingest: files of each supported format, de-duplication on
re-run, clear errors for unsupported files."""
import os
import subprocess
import sys

import pytest

from py_udfs.chunking import chunk_document
from ragsql.readers import read_file

from .conftest import ROOT


def make_pdf(path, *pages):
    """A PDF with one text line per page, built by hand (no PDF writer needed)."""
    n = len(pages)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n)).encode()
    font = 3 + 2 * n
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n)]
    for i, text in enumerate(pages):
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
        objs += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R"
                 b" /Resources << /Font << /F1 %d 0 R >> >> >>" % (4 + 2 * i, font),
                 b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out, offsets = b"%PDF-1.4\n", []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    path.write_bytes(out)
    return path


def test_pdf_html_and_markdown_are_read_to_title_and_plain_text(tmp_path):
    make_pdf(tmp_path / "manual.pdf", "The cold room must stay below 4 degrees Celsius at all times.")
    title, text, meta = read_file(tmp_path / "manual.pdf")
    assert "cold room must stay below 4 degrees" in text and meta["pages"] == 1
    (tmp_path / "a.html").write_text("<html><head><title>Horario</title><script>var x=1;</script></head>"
                                     "<body><p>Abrimos a las 9.</p><p>Cerramos a las 18.</p></body></html>")
    title, text, _ = read_file(tmp_path / "a.html")
    assert title == "Horario" and text == "Abrimos a las 9.\n\nCerramos a las 18." and "var x" not in text
    (tmp_path / "b.md").write_text("# Guía rápida\n\nPrimer paso.\n\n## Detalle\nSegundo paso.\n")
    title, text, _ = read_file(tmp_path / "b.md")
    assert title == "Guía rápida" and text == "# Guía rápida\n\nPrimer paso.\n\n## Detalle\n\nSegundo paso."


def run_cli(db_url, *args):
    env = dict(os.environ, DATABASE_URL=db_url)
    return subprocess.run([sys.executable, "-m", "ragsql", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_cli_ingests_every_supported_format_and_skips_them_on_rerun(conn, db_url, tenant, tmp_path):
    make_pdf(tmp_path / "manual.pdf", "The cold room must stay below 4 degrees Celsius at all times.")
    (tmp_path / "notes.txt").write_text("Inventario mensual. Se cuenta el primer lunes de cada mes.")
    (tmp_path / "faq.md").write_text("# FAQ\n\nLos pedidos urgentes salen en moto. Cuestan el doble.")
    (tmp_path / "page.html").write_text("<p>Support answers on weekdays. Weekend tickets wait until Monday.</p>")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")  # not loaded from a folder: listed as skipped
    r = run_cli(db_url, "ingest", str(tmp_path), "--tenant", tenant)
    assert r.returncode == 0, r.stderr
    assert "5 files: 4 new, 0 replaced, 0 unchanged, 1 skipped, 0 failed; 4 chunks embedded" in r.stdout
    assert f"skipped: {tmp_path / 'image.png'}: unsupported type .png" in r.stdout
    assert "embedding" in r.stderr  # the progress bar
    n = conn.execute("SELECT count(*) AS n FROM rag.embeddings e JOIN rag.chunks c ON c.id = e.chunk_id"
                     " WHERE c.tenant = %s", (tenant,)).fetchone()["n"]
    assert n == 4
    top = conn.execute("SELECT title FROM rag.search('cold room temperature', k => 1, tenant => %s)",
                       (tenant,)).fetchone()["title"]
    assert top == "manual"
    r = run_cli(db_url, "ingest", str(tmp_path), "--tenant", tenant)
    assert "5 files: 0 new, 0 replaced, 4 unchanged, 1 skipped" in r.stdout


def test_cli_reports_empty_unsupported_and_missing_files(db_url, tenant, tmp_path):
    (tmp_path / "empty.txt").write_text("   \n")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    r = run_cli(db_url, "ingest", str(tmp_path / "empty.txt"), str(tmp_path / "image.png"), "--tenant", tenant)
    assert r.returncode == 1
    assert "empty.txt: empty" in r.stderr and "unsupported file type .png" in r.stderr
    r = run_cli(db_url, "ingest", str(tmp_path / "missing.md"))
    assert r.returncode == 2 and r.stderr.startswith("error: ") and "no such file" in r.stderr


def test_files_without_a_known_extension_are_read_by_their_content(tmp_path):
    from ragsql.readers import UnsupportedFile, detect_format, iter_files
    licence = tmp_path / "Apache-2.0"  # a version, not an extension
    licence.write_text("                                 Apache License\n                           Version 2.0\n\n"
                       "   TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION\n")
    (tmp_path / "GPL-3").write_text("GNU GENERAL PUBLIC LICENSE\nVersion 3, 29 June 2007\n")
    (tmp_path / "page").write_text("<!DOCTYPE html><html><head><title>Ayuda</title></head><body><p>Hola.</p></body>")
    (tmp_path / "README").write_text("Intro\n=====\n\nSome text.\n")
    make_pdf(tmp_path / "manual", "Keep the cold room below 4 degrees.")
    (tmp_path / "blob").write_bytes(b"\x00\x01\x02binary\xff\xfe" * 50)
    assert [detect_format(tmp_path / n) for n in ("Apache-2.0", "GPL-3", "page", "README", "manual")] == \
        ["txt", "txt", "html", "md", "pdf"]
    with pytest.raises(UnsupportedFile, match="binary content"):
        read_file(tmp_path / "blob")
    title, text, meta = read_file(licence)
    assert title == "Apache 2.0" and "TERMS AND CONDITIONS" in text and meta["format"] == "txt"
    title, text, meta = read_file(tmp_path / "page")
    assert title == "Ayuda" and text == "Hola." and meta["format"] == "html"
    assert "Keep the cold room below 4 degrees" in read_file(tmp_path / "manual")[1]
    # a folder yields every readable file, extension or not, and skips the binary one
    assert sorted(p.name for p in iter_files([tmp_path])) == ["Apache-2.0", "GPL-3", "README", "manual", "page"]
    # a forced format wins over the name and the content
    assert read_file(tmp_path / "page", "txt")[2]["format"] == "txt"
    with pytest.raises(UnsupportedFile, match="unknown format"):
        read_file(licence, "docx")


def test_html_page_furniture_is_left_out(tmp_path):
    (tmp_path / "page.html").write_text(
        "<html><head><title>Time</title></head><body>"
        "<div class=\"header\"><p>Next: <a href=\"#a\">Resource</a>, Previous: <a href=\"#b\">Intro</a></p></div>"
        "<nav><ul><li>Home</li><li>Docs</li></ul></nav>"
        "<div class=\"contents\"><ul><li>1 Measuring Program Resource Use</li></ul></div>"
        "<div class=\"chapter\"><h2>Resource use</h2><p>The time command runs another program.</p>"
        "<div class=\"example\"><pre>time -v ls</pre></div></div>"
        "<footer>Copyright and site links</footer></body></html>")
    title, text, _ = read_file(tmp_path / "page.html")
    assert text == "## Resource use\n\nThe time command runs another program.\n\ntime -v ls"


def test_markdown_underlined_headings_and_front_matter(tmp_path):
    (tmp_path / "README.md").write_text("---\nlayout: page\ntitle: ignored\n---\nZstandard tests\n===============\n\n"
                                        "Intro text.\n\nFuzzing\n-------\nRun the fuzzers nightly.\n\n---\n\nEnd.\n")
    title, text, _ = read_file(tmp_path / "README.md")
    assert title == "Zstandard tests"
    assert text == "# Zstandard tests\n\nIntro text.\n\n## Fuzzing\n\nRun the fuzzers nightly.\n\nEnd."


def test_structure_marks_for_the_chunks_section_path_and_page(tmp_path):
    """Headings of every style become '#' lines (a '#' inside code stays
    code), MyST targets, directive fences and badge lines are dropped, and
    plain-text licence headings are recognised: the chunker's section path."""
    (tmp_path / "guide.md").write_text(
        "[![CI](https://ci.example/badge.svg)](https://ci.example)\n\n(install)=\n# Guide\n\n## Install\n\n"
        "```{note}\nUse a virtual environment.\n```\n\n```sh\n# not a heading\npip install x\n```\n")
    _, text, _ = read_file(tmp_path / "guide.md")
    assert "badge" not in text and "(install)=" not in text and "{note}" not in text
    assert [c[1] for c in chunk_document(text)] == [("Guide", "Install")]
    assert "Use a virtual environment." in text and "# not a heading" in text
    (tmp_path / "LICENSE-X").write_text("   TERMS AND CONDITIONS\n\n   1. Definitions.\n\n      \"Work\" means"
                                        " the work.\n\n   END OF TERMS AND CONDITIONS\n")
    _, text, _ = read_file(tmp_path / "LICENSE-X")
    assert chunk_document(text) == [('"Work" means the work.', ("TERMS AND CONDITIONS", "1. Definitions."), None)]


def test_pdf_pages_are_kept_apart_for_the_chunks_page(tmp_path):
    pdf = make_pdf(tmp_path / "manual.pdf", "Install the package first.", "Configure the port next.")
    _, text, meta = read_file(pdf)
    assert meta["pages"] == 2
    assert [(c, p) for c, _, p in chunk_document(text)] == [("Install the package first.", 1),
                                                           ("Configure the port next.", 2)]


def test_a_definition_list_reads_term_and_definition_together(tmp_path):
    (tmp_path / "opts.html").write_text("<html><body><dl><dt><code>-a</code></dt>\n<dt><code>--append</code></dt>\n"
                                        "<dd><p>Append to the output file instead of overwriting it.</p></dd>"
                                        "<dt>adm</dt><dd><p>Group adm reads the logs.</p></dd></dl></body></html>")
    _, text, _ = read_file(tmp_path / "opts.html")
    assert text == ("-a, --append: Append to the output file instead of overwriting it.\n\n"
                    "adm: Group adm reads the logs.")
