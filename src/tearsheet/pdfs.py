"""A PDF's text as a reader, or any PDF tool, gets it: for the paywall audit (see documents.py).

Its pages, with their annotations (sticky notes, text boxes); pages its page list no longer names ("delete
pages, then save" can leave them in the file); form field values, outline, metadata; and the files
attached to it, read as documents.py reads any file.
"""

from __future__ import annotations

import io
import logging
import time
import unicodedata
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

from .documents import MAX_ARCHIVE_BYTES, UnreadableDocument, as_paragraphs, document_text, one_line

MAX_PDF_SECONDS = 120  # a PDF whose text takes longer to read stops the build (pages sharing one huge stream)


def pdf_text(data: bytes, depth: int = 0, budget: list[int] | None = None) -> bytes:
    """A PDF's text: every page's, its annotations (notes, text boxes), form field values, outline,
    metadata, and the files attached to it (read as files are). A page whose text comes out a letter a line
    (a tool drew each glyph apart) is read again as laid out, where the letters make words."""
    import pypdf  # here: only a build that publishes a PDF needs it

    budget = [MAX_ARCHIVE_BYTES] if budget is None else budget
    pdf_logger = logging.getLogger("pypdf")
    level = pdf_logger.level
    pdf_logger.setLevel(logging.CRITICAL + 1)  # its complaints about sloppy files are not the writer's business
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):  # locked for editing only: anyone opens it
                raise UnreadableDocument("it is locked with a password", _PDF_HINT)
            deadline = time.monotonic() + MAX_PDF_SECONDS
            texts = [*_pdf_page_texts(reader, reader.pages, deadline),
                     *_pdf_page_texts(reader, _orphans(reader, deadline), deadline), *_pdf_extras(reader)]
            attached = [document_text(name, content, depth + 1, budget) or b""
                        for name, contents in (reader.attachments or {}).items() for content in contents]
    except UnreadableDocument:
        raise
    except ImportError as exc:  # pypdf's AES needs the cryptography module
        raise UnreadableDocument(f"it is encrypted, and reading it needs {exc}",
                                 "pip install cryptography, or save it again without encryption") from None
    except Exception as exc:  # pypdf's errors are many and untyped: a file it cannot read
        raise UnreadableDocument(one_line(exc), _PDF_HINT) from None
    finally:
        pdf_logger.setLevel(level)
    # ligatures (fi, fl) and other compatibility forms as the letters they stand for
    return as_paragraphs(unicodedata.normalize("NFKC", text) for text in texts) + b"".join(attached)


_PDF_HINT = ("save it again without a password (or print it to a new PDF), or leave it off the public site")


def _orphans(reader: Any, deadline: float) -> Iterator[Any]:
    """Pages the file holds that its page list no longer names: "delete pages, then save" in a PDF editor
    may only append a shorter list, and every PDF tool still reads the pages left behind."""
    import pypdf
    from pypdf.generic import DictionaryObject, IndirectObject

    listed = {page.indirect_reference.idnum for page in reader.pages if page.indirect_reference is not None}
    numbers = [(idnum, generation) for generation, table in reader.xref.items() for idnum in table]
    numbers += [(idnum, 0) for idnum in reader.xref_objStm]
    for idnum, generation in sorted(set(numbers)):
        if idnum in listed:
            continue
        if time.monotonic() > deadline:
            raise UnreadableDocument(f"reading its text took over {MAX_PDF_SECONDS} seconds", _PDF_HINT)
        try:
            found = reader.get_object(IndirectObject(idnum, generation, reader))
        except Exception:  # a damaged object: what it held no reader shows either
            continue
        if isinstance(found, DictionaryObject) and found.get("/Type") == "/Page":
            page = pypdf.PageObject(reader, IndirectObject(idnum, generation, reader))
            page.update(found)
            parent = found.get("/Parent")
            if "/Resources" not in page and parent is not None:  # fonts it inherited from its old page list
                resources = parent.get_object().get("/Resources")
                if resources is not None:
                    page[pypdf.generic.NameObject("/Resources")] = resources
            yield page


def _pdf_page_texts(reader: Any, pages: Iterable[Any], deadline: float) -> Iterator[str]:
    for page in pages:
        if time.monotonic() > deadline:
            raise UnreadableDocument(f"reading its text took over {MAX_PDF_SECONDS} seconds", _PDF_HINT)
        text = page.extract_text() or ""
        yield text
        lines = text.split("\n")
        if len(lines) > 20 and sum(len(line.strip()) <= 1 for line in lines) > len(lines) / 3:
            yield page.extract_text(extraction_mode="layout") or ""
        for annotation in page.get("/Annots") or ():
            annotation = annotation.get_object()
            for key in ("/Contents", "/RC", "/T", "/V"):
                value = annotation.get(key)
                if isinstance(value, str):
                    yield value


def _pdf_extras(reader: Any) -> Iterator[str]:
    for value in (reader.get_fields() or {}).values():
        for key in ("/V", "/TU", "/T"):
            if isinstance(value.get(key), str):
                yield value[key]
    yield from _outline_titles(reader.outline)
    for value in (reader.metadata or {}).values():
        yield str(value)


def _outline_titles(outline: Any) -> Iterator[str]:
    for item in outline:
        if isinstance(item, list):
            yield from _outline_titles(item)
        else:
            yield str(getattr(item, "title", "") or "")
