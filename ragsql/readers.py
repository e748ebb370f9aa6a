"""Turn files into (title, text) for ingestion: .md, .txt, .html/.htm, .pdf."""
from html.parser import HTMLParser
import re
from pathlib import Path

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")

SUPPORTED = {".md", ".markdown", ".txt", ".html", ".htm", ".pdf"}


class UnsupportedFile(ValueError):
    pass


class _HTMLText(HTMLParser):
    _SKIP = {"script", "style", "noscript", "template"}
    _BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "pre"}

    def __init__(self):
        super().__init__()
        self.parts, self.title, self._skip, self._in_title = [], "", 0, False

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag in self._BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag):
        if tag in self._SKIP and self._skip:
            self._skip -= 1
        elif tag == "title":
            self._in_title = False
        elif tag in self._BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data):
        if self._skip:
            return
        if self._in_title:
            self.title += data
        else:
            self.parts.append(data)


def _clean(text):
    paras = [" ".join(p.split()) for p in text.replace("\r\n", "\n").split("\n\n")]
    return "\n\n".join(p for p in paras if p)


def read_file(path):
    """Returns (title, text, metadata)."""
    path = Path(path)
    ext = path.suffix.lower()
    meta = {"file": path.name, "format": ext.lstrip(".")}
    if ext not in SUPPORTED:
        raise UnsupportedFile(f"{path}: unsupported file type {ext or '(none)'}; "
                              f"supported: {', '.join(sorted(SUPPORTED))}")
    if ext == ".pdf":
        from pypdf import PdfReader
        reader = PdfReader(str(path))
        pages = [(p.extract_text() or "") for p in reader.pages]
        meta["pages"] = len(pages)
        title = (reader.metadata.title if reader.metadata and reader.metadata.title else None) or path.stem
        return title, _clean("\n\n".join(pages)), meta
    raw = path.read_text(encoding="utf-8", errors="replace")
    if ext in (".html", ".htm"):
        p = _HTMLText()
        p.feed(raw)
        return (" ".join(p.title.split()) or path.stem), _clean("".join(p.parts)), meta
    title = path.stem.replace("_", " ").replace("-", " ")
    if ext in (".md", ".markdown"):
        lines = []
        for line in raw.splitlines():
            m = _MD_HEADING.match(line)
            if m:
                if m.group(1) == "#" and title == path.stem.replace("_", " ").replace("-", " "):
                    title = m.group(2).strip()
                # a heading is a paragraph of its own
                lines.extend(["", m.group(2).strip(), ""])
            else:
                lines.append(line)
        raw = "\n".join(lines)
    return title, _clean(raw), meta


def iter_files(paths):
    for p in map(Path, paths):
        if p.is_dir():
            yield from sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUPPORTED)
        elif p.exists():
            yield p
        else:
            raise FileNotFoundError(f"{p}: no such file or directory")
