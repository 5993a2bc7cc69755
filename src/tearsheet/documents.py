"""The text of documents a site may publish as files, for the paywall audit: PDFs, and the zipped XML
of word processors, spreadsheets, slides and e-books (DOCX, XLSX, PPTX, ODT, ODS, ODP, EPUB).

A writer links "the full note as a PDF" from a teaser, and the PDF is on the public site with every
word of the essay in it: the audit must read it as a reader would. The text comes out as HTML-ish
bytes, one <p> per paragraph, so shingles stay inside a paragraph as they do in pages.
"""

from __future__ import annotations

import contextlib
import html
import io
import logging
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable
from xml.etree import ElementTree

PDF_MAGIC = b"%PDF-"
PDF_MAGIC_WITHIN = 1024  # bytes a PDF's header may come after (as readers allow)
ZIP_MAGIC = b"PK\x03\x04"
DOCUMENT_PARTS = (".xml", ".xhtml", ".html", ".htm")  # the entries of a zipped document that hold its text
MAX_DOCUMENT_BYTES = 200_000_000  # of a zip's entries, read at most: a zip bomb is not read to the end
PARAGRAPHS = frozenset({"p", "si", "h", "li", "td", "th", "title", "h1", "h2", "h3", "h4", "h5", "h6"})


class UnreadableDocument(Exception):
    """A PDF the audit cannot read (damaged, or locked with a password), with why."""


def is_pdf(data: bytes) -> bool:
    return PDF_MAGIC in data[:PDF_MAGIC_WITHIN]


def pdf_text(data: bytes) -> bytes:
    """Every page's text and the document's title, subject and keywords, as paragraphs of HTML.

    Raises UnreadableDocument for one no reader opens without a password, or that is too damaged to read;
    ImportError without pypdf.
    """
    import pypdf  # here: only a build that publishes a PDF needs it

    pdf_logger = logging.getLogger("pypdf")
    level = pdf_logger.level
    pdf_logger.setLevel(logging.CRITICAL + 1)  # its complaints about sloppy files are not the writer's business
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):  # locked for copying only: anyone opens it
                raise UnreadableDocument("it is locked with a password")
            texts = [page.extract_text() or "" for page in reader.pages]
            info = reader.metadata or {}
            texts += [str(info.get(key) or "") for key in ("/Title", "/Subject", "/Keywords")]
    except UnreadableDocument:
        raise
    except Exception as exc:  # pypdf's errors are many and untyped: a file it cannot read
        raise UnreadableDocument(f"{type(exc).__name__}: {exc}") from None
    finally:
        pdf_logger.setLevel(level)
    # ligatures (fi, fl) and other compatibility forms as the letters they stand for
    return _as_paragraphs(unicodedata.normalize("NFKC", text) for text in texts)


def zipped_document_text(data: bytes) -> bytes | None:
    """The text of a zipped document's XML and HTML parts, a paragraph each (Word's, a spreadsheet's
    cells, a slide's); None for a zip that holds no such part (or is no zip)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    paragraphs: list[str] = []
    budget = MAX_DOCUMENT_BYTES
    found = False
    with archive:
        for entry in archive.infolist():
            if not entry.filename.lower().endswith(DOCUMENT_PARTS) or budget <= 0:
                continue
            found = True
            with contextlib.suppress(Exception):  # a damaged part: the rest are read
                with archive.open(entry) as handle:
                    part = handle.read(budget)
                budget -= len(part)
                paragraphs += _xml_paragraphs(part)
    return _as_paragraphs(paragraphs) if found else None


def _xml_paragraphs(part: bytes) -> list[str]:
    """The text of each paragraph-like element (w:p, a:p, text:p, a spreadsheet's shared string, ...), its
    runs joined as a reader sees them; all the text, if it has none."""
    try:
        root = ElementTree.fromstring(part)
    except ElementTree.ParseError:
        return [part.decode("utf-8", "replace")]  # HTML that is not XML: the audit strips its tags
    paragraphs = ["".join(element.itertext()) for element in root.iter()
                  if isinstance(element.tag, str) and element.tag.rsplit("}", 1)[-1].lower() in PARAGRAPHS]
    return paragraphs or [" ".join(root.itertext())]


def _as_paragraphs(texts: Iterable[str]) -> bytes:
    return "".join(f"<p>{html.escape(text)}</p>\n" for text in texts if text).encode("utf-8", "replace")
