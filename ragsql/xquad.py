"""XQuAD (Spanish and English) as used by evaluation and benchmarks: read
from the shared data folder, never copied into the project."""
import json
import sys
from pathlib import Path

LANGS = ("es", "en")


def data_dir(path):
    p = Path(path)
    if not (p / "xquad.es.json").exists() or not (p / "xquad.en.json").exists():
        sys.exit(f"XQuAD data not found in {p} (expected xquad.es.json and xquad.en.json).\n"
                 "Evaluation needs the shared data folder beside the checkout (../shared/data/xquad),\n"
                 "or pass --data PATH. `make test` does not need it.")
    return p


def load(path, lang):
    """Returns (paragraphs, questions): paragraphs as dicts with id, title,
    context; questions as dicts with id, question, answers, paragraph_id."""
    raw = json.loads((Path(path) / f"xquad.{lang}.json").read_text(encoding="utf-8"))
    paragraphs, questions = [], []
    for a_i, article in enumerate(raw["data"]):
        for p_i, para in enumerate(article["paragraphs"]):
            pid = f"{a_i:02d}-{p_i:02d}"
            paragraphs.append({"id": pid, "title": article["title"].replace("_", " "),
                               "context": para["context"].lstrip("\ufeff")})
            for qa in para["qas"]:
                questions.append({"id": qa["id"], "question": qa["question"],
                                  "answers": [a["text"] for a in qa["answers"]], "paragraph_id": pid})
    return paragraphs, questions


def ensure_loaded(conn, path, lang, models=()):
    """Ingest the paragraphs into tenant xquad_<lang> (once: de-duplicated by
    hash) and embed them with the active model and any extra `models`."""
    from tqdm import tqdm

    from . import db
    tenant = f"xquad_{lang}"
    paragraphs, questions = load(path, lang)
    have = conn.execute("SELECT count(*) FROM rag.documents WHERE tenant = %s", (tenant,)).fetchone()[0]
    if have < len(paragraphs):
        for p in tqdm(paragraphs, desc=f"ingest xquad.{lang}", unit="doc"):
            db.ingest(conn, p["context"], title=p["title"], tenant=tenant, language=lang,
                      metadata={"paragraph_id": p["id"], "dataset": "xquad"})
    for model in models:
        conn.execute("""INSERT INTO rag.embedding_queue (chunk_id, model_id)
                        SELECT c.id, m.id FROM rag.chunks c, rag.embedding_models m
                         WHERE c.tenant = %s AND m.name = %s
                           AND NOT EXISTS (SELECT 1 FROM rag.embeddings e WHERE e.chunk_id = c.id AND e.model_id = m.id)
                        ON CONFLICT DO NOTHING""", (tenant, model))
    db.drain_queue(conn, desc=f"embed xquad.{lang}")
    return tenant, paragraphs, questions


def ensure_set(conn, path, lang, models=(), doc_lang=None):
    """The evaluation set xquad-<lang> (rag.eval_sets / rag.eval_cases): one
    case per question, in file order, asked against tenant xquad_<lang>, the
    gold paragraph's document as the relevant one and the first answer as the
    reference. With `doc_lang` (cross-lingual, XQuAD being parallel): the
    questions of `lang` asked against the paragraphs of `doc_lang`, set
    xquad-<lang>-over-<doc_lang>. Loads and embeds the corpus first
    (ensure_loaded, with any extra `models`). Returns the set's name."""
    doc_lang = doc_lang or lang
    tenant, _, _ = ensure_loaded(conn, path, doc_lang, models=models)
    _, questions = load(path, lang)
    name = f"xquad-{lang}" if doc_lang == lang else f"xquad-{lang}-over-{doc_lang}"
    what = (f"XQuAD {lang}" if doc_lang == lang else f"XQuAD {lang} questions over the {doc_lang} paragraphs")
    set_id = conn.execute("INSERT INTO rag.eval_sets (name, description) VALUES (%s, %s)"
                          " ON CONFLICT (name) DO UPDATE SET description = excluded.description RETURNING id",
                          (name, f"{what} (Artetxe et al. 2019, CC BY-SA 4.0): 1,190 questions, "
                                 "gold paragraph and answer span")).fetchone()[0]
    have = conn.execute("SELECT count(*) FROM rag.eval_cases WHERE set_id = %s", (set_id,)).fetchone()[0]
    if have < len(questions):
        doc_by_pid = dict(conn.execute("SELECT metadata->>'paragraph_id', id FROM rag.documents WHERE tenant = %s",
                                       (tenant,)).fetchall())
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO rag.eval_cases (set_id, external_id, question, reference_answer,"
                " relevant_document_ids, language, tenant) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (set_id, external_id) DO NOTHING",
                [(set_id, q["id"], q["question"], q["answers"][0], [doc_by_pid[q["paragraph_id"]]], lang, tenant)
                 for q in questions])
    return name
