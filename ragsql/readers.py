"""Turn files into (title, text) for ingestion: Markdown, plain text, HTML
and PDF. The format comes from the extension when it names one, else from
the content (a licence file has none; "Apache-2.0" has a version, not an
extension), or is forced by the caller."""
from html.parser import HTMLParser
import re
from pathlib import Path

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")

FORMATS = {".md": "md", ".markdown": "md", ".txt": "txt", ".html": "html", ".htm": "html", ".pdf": "pdf"}
SUPPORTED = set(FORMATS)
_SNIFF_BYTES = 8192
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.I | re.S)
_MD_MARKS = re.compile(r"^(#{1,6} \S|```|[=-]{3,}\s*$)", re.M)


class UnsupportedFile(ValueError):
    pass


def detect_format(path, forced=None):
    """'md', 'txt', 'html' or 'pdf' for a file: `forced` when given, else its
    extension when it is a known one, else its first bytes (PDF and HTML by
    their opening, Markdown by headings or fences, else text when it decodes
    as UTF-8 with no NUL byte). Raises UnsupportedFile for anything else."""
    path = Path(path)
    if forced:
        fmt = FORMATS.get("." + forced.lower().lstrip("."))
        if fmt is None:
            raise UnsupportedFile(f"unknown format {forced!r}; one of: md, txt, html, pdf")
        return fmt
    if path.suffix.lower() in FORMATS:
        return FORMATS[path.suffix.lower()]
    with open(path, "rb") as f:
        head = f.read(_SNIFF_BYTES)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if _HTML_START.match(head):
        return "html"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        cut_short = len(head) == _SNIFF_BYTES and exc.start >= len(head) - 3  # a character cut by the sample
        if not cut_short:
            raise _binary(path) from None
        text = head[:exc.start].decode("utf-8")
    if "\x00" in text:
        raise _binary(path)
    return "md" if _MD_MARKS.search(text) else "txt"


def _binary(path):
    return UnsupportedFile(f"{path}: unsupported file type {path.suffix or '(no extension)'}: binary content, not"
                           " text, HTML or PDF; supported: .md .txt .html .pdf, and text, HTML or PDF files"
                           " without an extension")


# Page furniture, not content: navigation bars ("Next: ... Previous: ...
# Up:" in Texinfo and DocBook pages), tables of contents, site headers,
# footers and sidebars.
_FURNITURE_TAGS = {"nav", "header", "footer", "aside"}
_FURNITURE_CLASSES = {"header", "nav-panel", "navheader", "navfooter", "navigation", "navbar", "contents",
                      "toc", "mini-toc", "menu", "breadcrumb", "breadcrumbs", "sidebar", "footer", "shortcontents"}
_FURNITURE_ROLES = {"navigation", "banner", "contentinfo", "complementary"}


def _is_furniture(tag, attrs):
    attrs = dict(attrs)
    classes = set((attrs.get("class") or "").lower().split())
    return (tag in _FURNITURE_TAGS or bool(classes & _FURNITURE_CLASSES)
            or (attrs.get("role") or "").lower() in _FURNITURE_ROLES or (attrs.get("id") or "").lower() == "toc")


class _HTMLText(HTMLParser):
    _SKIP = {"script", "style", "noscript", "template"}
    _BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "pre",
              "dt", "dd"}
    _HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}  # become Markdown headings: the chunks' section path
    _VOID = {"br", "img", "hr", "input", "meta", "link", "area", "base", "col", "embed", "source", "wbr"}

    def __init__(self):
        super().__init__()
        self.parts, self.title, self._skip, self._in_title = [], "", 0, False
        self._furniture = None  # (tag, depth) of the furniture element being skipped
        # A definition list reads as "term, term: definition" in one
        # paragraph: the definition alone ("Members of this group can ...")
        # would lose what it defines.
        self._after_term = self._in_definition_start = False

    def _join(self, sep):
        while self.parts and not self.parts[-1].strip():
            self.parts.pop()
        if self.parts:
            self.parts[-1] = self.parts[-1].rstrip()
        self.parts.append(sep)

    def _break(self):
        if not self._in_definition_start:
            self.parts.append("\n\n")

    def handle_starttag(self, tag, attrs):
        if self._furniture:
            if tag == self._furniture[0]:
                self._furniture = (tag, self._furniture[1] + 1)
        elif tag not in self._VOID and _is_furniture(tag, attrs):
            self._furniture = (tag, 1)
        elif tag in self._SKIP:
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag in self._HEADINGS:
            self.parts.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag == "dt" and self._after_term:
            self._join(", ")
        elif tag == "dd" and self._after_term:
            self._join(": ")
            self._after_term, self._in_definition_start = False, True
        elif tag in self._BLOCK:
            self._break()

    def handle_endtag(self, tag):
        if self._furniture:
            if tag == self._furniture[0]:
                depth = self._furniture[1] - 1
                self._furniture = (tag, depth) if depth else None
        elif tag in self._SKIP and self._skip:
            self._skip -= 1
        elif tag == "title":
            self._in_title = False
        elif tag == "dt":
            self._after_term = True
        elif tag in self._BLOCK:
            self._after_term = False
            self._break()

    def handle_data(self, data):
        if self._skip or self._furniture:
            return
        if self._in_title:
            self.title += data
        else:
            self.parts.append(data)
            if data.strip():
                self._in_definition_start = False


def _clean(text):
    """Paragraphs with their whitespace collapsed; form feeds (page breaks)
    kept between pages."""
    pages = []
    for page in text.replace("\r\n", "\n").split("\f"):
        paras = [" ".join(p.split()) for p in page.split("\n\n")]
        pages.append("\n\n".join(p for p in paras if p))
    return "\f".join(pages)


# Plain-text headings, as licences and man pages write them: a line of its
# own in capitals ("TERMS AND CONDITIONS", "SYNOPSIS"), or a short numbered
# title ("1. Definitions.").
_CAPS_HEADING = re.compile(r"^[^a-z]*[A-Z]{2}[^a-z]*$")
_NUMBERED_HEADING = re.compile(r"^\d{1,2}\.\s+[A-Z][\w ,'’()-]{1,60}\.?$")


def _plain_headings(text):
    out = []
    for para in re.split(r"\n\s*\n", text):
        line = " ".join(para.split())
        single = "\n" not in para.strip() and 0 < len(line.split()) <= 10
        if single and _CAPS_HEADING.match(line) and not line.endswith(("." ,",", ";")):
            out.append(f"# {line}")
        elif single and _NUMBERED_HEADING.match(line):
            out.append(f"## {line}")
        else:
            out.append(para)
    return "\n\n".join(out)


def read_file(path, forced_format=None):
    """Returns (title, text, metadata)."""
    path = Path(path)
    fmt = detect_format(path, forced_format)
    meta = {"file": path.name, "format": fmt}
    stem = path.stem if path.suffix.lower() in FORMATS else path.name
    if fmt == "pdf":
        from pypdf import PdfReader
        reader = PdfReader(str(path))
        pages = [(p.extract_text() or "").replace("\f", " ") for p in reader.pages]
        meta["pages"] = len(pages)
        title = (reader.metadata.title if reader.metadata and reader.metadata.title else None) or stem
        return title, _clean("\f".join(pages)), meta  # a form feed per page: chunks know their page
    raw = path.read_text(encoding="utf-8", errors="replace")
    if fmt == "html":
        p = _HTMLText()
        p.feed(raw)
        return (" ".join(p.title.split()) or stem), _clean("".join(p.parts)), meta
    default_title = stem.replace("_", " ").replace("-", " ")
    title = default_title
    if fmt == "md":
        title, raw = _markdown(raw, default_title)
    else:
        raw = _plain_headings(raw)
    return title, _clean(raw), meta


_FRONT_MATTER = re.compile(r"\A---\s*\n.*?\n(?:---|\.\.\.)\s*\n", re.S)
_SETEXT_RULE = re.compile(r"^(=+|-+)\s*$")


_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})\s*(\{[\w-]+\})?")
_MYST_TARGET = re.compile(r"^\s*\([^)]+\)=\s*$")  # "(label)=" before a heading
_BADGES = re.compile(r"^\s*(\[?!\[[^\]]*\]\([^)]*\)(\]\([^)]*\))?\s*)+$")  # a line of image links only


def _markdown(raw, default_title):
    """(title, text): YAML front matter, MyST targets and badge lines
    dropped; each heading, '#' style or underlined with '===' / '---', a '#'
    heading of its own paragraph (a '#' inside a code block is code); MyST
    directive fences ("```{note}") dropped around their text; the first
    top-level heading is the title."""
    title = default_title
    lines = _FRONT_MATTER.sub("", raw, count=1).splitlines()
    out, fence = [], None  # fence: (marker, is a directive) of the open block
    for i, line in enumerate(lines):
        f = _FENCE.match(line)
        if fence:
            if f and f.group(1)[0] == fence[0][0] and len(f.group(1)) >= len(fence[0]) and not f.group(2):
                if not fence[1]:
                    out.append(line)
                fence = None
            else:
                out.append(line)
            continue
        if f:
            fence = (f.group(1), bool(f.group(2)))
            out.append("" if fence[1] else line)
            continue
        if _MYST_TARGET.match(line) or _BADGES.match(line):
            continue
        m = _MD_HEADING.match(line)
        underline = i + 1 < len(lines) and _SETEXT_RULE.match(lines[i + 1]) and line.strip() \
            and not _SETEXT_RULE.match(line)
        if m or underline:
            text = m.group(2).strip() if m else line.strip()
            top = (m.group(1) == "#") if m else lines[i + 1].lstrip().startswith("=")
            if top and title == default_title:
                title = text
            level = len(m.group(1)) if m else (1 if top else 2)
            out.extend(["", "#" * level + " " + text, ""])  # its own paragraph, a '#' heading whatever its style
        elif _SETEXT_RULE.match(line):
            continue  # a heading's underline or a horizontal rule: no text
        else:
            out.append(line)
    return title, "\n".join(out)


def skip_reason(path):
    """Why a file found in a folder is not loaded, or None when it is
    readable: empty, or not a supported type (binary, or an extension or
    content this reader does not take)."""
    try:
        if path.stat().st_size == 0:
            return "empty file"
        detect_format(path)
    except UnsupportedFile as exc:
        msg = str(exc)
        if "binary content" in msg:
            return f"unsupported type {path.suffix or '(no extension)'}: binary content, not text, HTML or PDF"
        return msg
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    return None


def scan(paths):
    """(files, skipped): the files named, and the readable files under the
    folders named (by extension, or by content for files without a known
    extension); skipped lists (path, reason) for every other file under the
    folders. A file named explicitly is always in files: reading it tells
    what is wrong with it."""
    files, skipped = [], []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(f for f in p.rglob("*") if f.is_file()):
                reason = skip_reason(f)
                if reason:
                    skipped.append((f, reason))
                else:
                    files.append(f)
        elif p.exists():
            files.append(p)
        else:
            raise FileNotFoundError(f"{p}: no such file or directory")
    return files, skipped


def iter_files(paths):
    """The readable files of scan(paths)."""
    yield from scan(paths)[0]
