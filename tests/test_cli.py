"""The `ragsql` command: sync of a folder (dry run and real), parallel
workers with one progress total, skipped files listed with their reason,
and the command working from any directory."""
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from .conftest import ROOT

FILES = {
    "reembolsos.md": "# Reembolsos\n\nLos reembolsos se aceptan dentro de los 14 días de la compra.",
    "envios.txt": "Los envíos al interior tardan cinco días hábiles. Los urgentes salen en moto.",
    "horarios.html": "<p>Atendemos de lunes a viernes de 9 a 18. Los sábados abrimos medio día.</p>",
}


def ragsql(db_url, *args, cwd=ROOT, command=None):
    env = dict(os.environ, DATABASE_URL=db_url)
    return subprocess.run(command or [sys.executable, "-m", "ragsql", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "docs"
    (d / "sub").mkdir(parents=True)
    for name, text in FILES.items():
        (d / name).write_text(text)
    (d / "sub" / "logo.png").write_bytes(b"\x89PNG\x00\x01\x02")
    (d / "sub" / "vacio.md").write_text("")
    (d / "datos.bin").write_bytes(b"\x00\x01binario\xff" * 20)
    return d


def sources(conn, tenant):
    return sorted(r["source"] for r in conn.execute(
        "SELECT source FROM rag.documents WHERE tenant = %s AND NOT pending", (tenant,)))


def test_sync_loads_replaces_skips_and_removes_with_a_dry_run_first(conn, db_url, tenant, folder):
    r = ragsql(db_url, "sync", str(folder), "--tenant", tenant, "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "6 files: 3 new, 0 replaced, 0 unchanged, 3 skipped, 0 failed, 0 removed; 3 chunks embedded" in r.stdout
    # every skipped file, with its reason
    assert f"skipped: {folder / 'sub' / 'logo.png'}: unsupported type .png: binary content" in r.stdout
    assert f"skipped: {folder / 'sub' / 'vacio.md'}: empty file" in r.stdout
    assert f"skipped: {folder / 'datos.bin'}: unsupported type .bin: binary content" in r.stdout
    assert sources(conn, tenant) == sorted(str(folder / n) for n in FILES)

    (folder / "reembolsos.md").write_text(FILES["reembolsos.md"].replace("14 días", "30 días"))
    (folder / "envios.txt").unlink()
    before = conn.execute("SELECT count(*) AS n, max(id) AS last FROM rag.documents WHERE tenant = %s",
                          (tenant,)).fetchone()
    r = ragsql(db_url, "sync", str(folder), "--tenant", tenant, "--dry-run", "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "5 files: 0 would be new, 1 would be replaced, 1 unchanged, 3 skipped, 0 failed, 1 would be removed" \
        in r.stdout
    assert f"would remove: {folder / 'envios.txt'}" in r.stdout and "nothing was changed" in r.stdout
    assert conn.execute("SELECT count(*) AS n, max(id) AS last FROM rag.documents WHERE tenant = %s",
                        (tenant,)).fetchone() == before

    r = ragsql(db_url, "sync", str(folder), "--tenant", tenant, "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "5 files: 0 new, 1 replaced, 1 unchanged, 3 skipped, 0 failed, 1 removed; 1 chunks embedded" in r.stdout
    assert sources(conn, tenant) == sorted(str(folder / n) for n in ("reembolsos.md", "horarios.html"))
    content = conn.execute("SELECT content FROM rag.search('reembolsos días', k => 1, tenant => %s)",
                           (tenant,)).fetchone()["content"]
    assert "30 días" in content
    # a source outside the folder is not the folder's to remove
    conn.execute("SELECT rag.ingest_document('Nota suelta sobre garantías de un año.', tenant => %s,"
                 " source => '/elsewhere/nota.md')", (tenant,))
    r = ragsql(db_url, "sync", str(folder), "--tenant", tenant, "--no-progress")
    assert "0 removed" in r.stdout and "/elsewhere/nota.md" in sources(conn, tenant)


def test_workers_embed_everything_with_one_progress_total(conn, db_url, tenant, tmp_path):
    for i in range(24):
        (tmp_path / f"nota_{i}.txt").write_text(f"Nota {i}: la sucursal {i % 5} vendió {i * 13} cajas de yerba.")
    r = ragsql(db_url, "ingest", str(tmp_path), "--tenant", tenant, "--workers", "2")
    assert r.returncode == 0, r.stderr
    assert "24 files: 24 new, 0 replaced, 0 unchanged, 0 skipped, 0 failed; 24 chunks embedded" in r.stdout
    bars = re.findall(r"embedding: +(\d+)%\|.*?\| (\d+)/(\d+)", r.stderr)
    assert bars and bars[-1] == ("100", "24", "24")  # one bar, counting both workers' chunks
    assert {b[2] for b in bars} == {"24"}
    assert conn.execute("SELECT count(*) AS n FROM rag.embedding_queue WHERE tenant = %s",
                        (tenant,)).fetchone()["n"] == 0
    r = ragsql(db_url, "ingest", str(tmp_path), "--workers", "0")
    assert r.returncode == 2 and "--workers must be between 1 and 64" in r.stderr


def test_the_console_command_is_declared_and_works_from_any_directory(db_url, tmp_path):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["ragsql"] == "ragsql.__main__:main"
    r = subprocess.run([sys.executable, "-m", "ragsql", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert r.stdout.startswith("usage: ragsql ")
    # without DATABASE_URL: a clear message, no traceback
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    r = subprocess.run([sys.executable, "-m", "ragsql", "search", "x"], cwd=ROOT, env=env, capture_output=True,
                       text=True)
    assert r.returncode != 0 and "DATABASE_URL is not set" in r.stderr and "Traceback" not in r.stderr
    installed = shutil.which("ragsql", path=str(Path(sys.executable).parent))
    assert installed, "the project is not installed in this venv: the Makefile's venv step installs it"
    r = ragsql(db_url, cwd=tmp_path, command=[installed, "search", "reembolsos", "-k", "1"])
    assert r.returncode == 0, r.stderr
