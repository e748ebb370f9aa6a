"""Entry module of sql/idempotent/030_text.sql: rag.chunk, rag.detect_language."""
from .. import chunking
from ..textutil import detect_language


def chunk(plpy, content, max_chars, overlap_chars):
    try:
        return [(seq, chunk, list(section), page) for seq, (chunk, section, page)
                in enumerate(chunking.chunk_document(content or "", max_chars, overlap_chars))]
    except ValueError as exc:
        plpy.error(str(exc))


def language_of(content):
    return detect_language(content or "")
