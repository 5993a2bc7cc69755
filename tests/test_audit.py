"""The paywall audit: leaks planted on purpose stop the build, name the file and change nothing."""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import os
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

import tearsheet.audit
import tearsheet.audit_fork
import tearsheet.forked
import tearsheet.parallel
import tearsheet.public_tree
import tearsheet.templates
from tearsheet.audit import SHINGLE, audit_input, audit_output, audit_tree, normal_words
from tearsheet.audit_memory import AuditMemory
from tearsheet.build import BuildOptions, build_site, plan_site
from tearsheet.cache import BuildCache
from tearsheet.cli import main
from tearsheet.errors import SiteError
from tearsheet.output import Stage

from .conftest import MINIMAL_TOML, build, child_processes, read_tree

MEMBER = ("Our desk expects the quarterly refunding to lean on bills while coupon auctions "
          "shrink into the spring, which flatters the belly of the curve.")
PUBLIC_OPENING = "Public opening words about rates and the curve that anyone may read freely."
PLUS = f"""\
---
title: "The refunding"
date: 2026-10-01T07:00:00Z
tier: plus
teaser: 13
description: "A public description of the refunding note."
---

{PUBLIC_OPENING}

{MEMBER}

A second member paragraph says the "term premium" can't stay this low -- not with deficits at six percent.
"""
FREE = """\
---
title: "A free note"
date: 2026-09-01T07:00:00Z
tier: free
---

Free words that anyone may read, in full, about payrolls and claims and the dollar.
"""
MEMBER_PATH = "content/posts/refunding.md"


@pytest.fixture
def site(write_site: Callable[..., Path]) -> Path:
    site = write_site({MEMBER_PATH: PLUS, "content/posts/free.md": FREE})
    (site / "static").mkdir(exist_ok=True)  # where these tests plant files: both sites have what is in it
    return site


def leak_error(site: Path) -> str:
    with pytest.raises(SiteError) as caught:
        build(site)
    return caught.value.report()


def test_a_clean_build_passes_and_the_audit_command_agrees(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build(site)
    assert main(["audit", str(site / "output"), "--site", str(site)]) == 0
    assert "no member-only text found" in capsys.readouterr().out
    assert main(["audit", str(site / "output" / "public"), "--site", str(site)]) == 0  # the tree itself, named
    assert f"files of {site / 'output' / 'public'} against" in capsys.readouterr().out


def test_a_template_printing_member_text_stops_the_build_and_keeps_the_old_output(site: Path) -> None:
    build(site)
    before = read_tree(site / "output")
    (site / "templates" / "partials").mkdir(parents=True)
    (site / "templates" / "partials" / "footer_extra.html").write_text(
        f'<div hidden>{MEMBER.split(",")[0]}</div>\n', encoding="utf-8")
    report = leak_error(site)
    assert f'public/index.html: leaks member-only text of {MEMBER_PATH}: "our desk expects the quarterly' in report
    assert "public/2026/10/refunding/index.html: leaks" in report
    assert read_tree(site / "output") == before
    assert sorted(os.listdir(site / "output")) == ["members", "public"]


def test_a_leak_on_every_page_names_twenty_files_then_counts_the_rest(site: Path) -> None:
    for n in range(25):
        (site / "content" / "posts" / f"free-{n}.md").write_text(FREE.replace("A free note", f"Note {n}"))
    (site / "templates" / "partials").mkdir(parents=True)
    (site / "templates" / "partials" / "footer_extra.html").write_text(f"<p>{MEMBER}</p>\n", encoding="utf-8")
    report = leak_error(site)
    assert report.count(": leaks member-only text of") == 20
    assert "more files leak member-only text" in report


@pytest.mark.parametrize(("name", "data"), [
    ("notes/leak.html", f"<p>{MEMBER}</p>".encode()),
    ("notes/leak.txt", " ".join(MEMBER.split()[5:5 + SHINGLE]).upper().encode()),  # 8 words, mid-sentence
    ("notes/comment.html", f"<p>x</p><!-- {MEMBER} -->".encode()),
    ("notes/meta.html", f'<meta name="description" content="{MEMBER}">'.encode()),
    ("notes/share.html", f'<a href="https://x.example/share?text={MEMBER.replace(" ", "%20")}">x</a>'.encode()),
    ("notes/feed.xml", f"<description>&lt;p&gt;{MEMBER}&lt;/p&gt;</description>".encode()),
    ("notes/index.json", json.dumps({"content": MEMBER.replace("refunding", "re\u00adfunding")}).encode()),
    ("notes/fragment.pf_fragment", gzip.compress(b"pagefind_dcd" + json.dumps({"content": MEMBER}).encode())),
    ("notes/quotes.txt", b'the "term premium" can\'t stay this low - not with deficits'),
    ("notes/about-pdf.html", f"<h1>What %PDF-1.7 means</h1><p>{MEMBER}</p>".encode()),  # a page, not a PDF
    ("notes/our-desk-expects-the-quarterly-refunding-to-lean-on-bills.txt", b"nothing inside"),
])
def test_a_leaking_file_under_static_is_caught_in_every_disguise(site: Path, name: str, data: bytes) -> None:
    (site / "static" / name).parent.mkdir(parents=True, exist_ok=True)
    (site / "static" / name).write_bytes(data)
    assert f"public/assets/{name}: leaks member-only text of {MEMBER_PATH}" in leak_error(site)


def test_a_leaking_file_under_content_a_free_post_links_to_is_caught(site: Path) -> None:
    (site / "content" / "notes").mkdir()
    (site / "content" / "notes" / "leak.txt").write_text(MEMBER, encoding="utf-8")
    (site / "content" / "posts" / "free.md").write_text(FREE + "\nThe [notes](/notes/leak.txt).\n", encoding="utf-8")
    assert f"public/notes/leak.txt: leaks member-only text of {MEMBER_PATH}" in leak_error(site)


def test_brotli_files_are_searched_or_the_audit_fails_closed(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    brotli = pytest.importorskip("brotli")
    (site / "static" / "leak.html.br").write_bytes(brotli.compress(MEMBER.encode()))
    assert "public/assets/leak.html.br: leaks member-only text" in leak_error(site)
    monkeypatch.setattr("tearsheet.documents.brotli_module", lambda: None)
    assert "public/assets/leak.html.br: cannot search this file for member-only text: it is compressed with " \
        "brotli, and no brotli module is installed" in leak_error(site)


def minimal_pdf(lines: list[str], compress: bool = True, encrypt: bytes = b"", note: str = "") -> bytes:
    """A one-page PDF showing `lines` in Helvetica, its page's text compressed as PDF writers do; with
    `note`, a sticky note on the page holding it."""
    import zlib

    text = "BT /F1 11 Tf 72 720 Td 14 TL " + " ".join(
        "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '" for line in lines) + " ET"
    stream = zlib.compress(text.encode("latin-1")) if compress else text.encode("latin-1")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >>" + (b" /Annots [6 0 R]" if note else b"") + b" >>",
               b"<< /Length %d%s >>\nstream\n" % (len(stream), b" /Filter /FlateDecode" if compress else b"")
               + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    if note:
        objects.append(b"<< /Type /Annot /Subtype /Text /Rect [72 600 92 620] /Contents (" + note.encode("latin-1")
                       + b") >>")
    return pdf_file(objects, encrypt)[0]


def pdf_file(objects: list[bytes], trailer: bytes = b"") -> tuple[bytes, int]:
    """A PDF of these objects (numbered from 1, the first the catalog), and where its cross-reference is."""
    out, offsets = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer, xref)
    return bytes(out), xref


def pdf_with_its_second_page_removed(first: str, second: str) -> bytes:
    """Two pages, then an incremental save whose page list names only the first, as "delete pages, then
    save" in a PDF editor can leave it: a viewer shows one page, every PDF tool reads both."""
    def page_text(text: str) -> bytes:
        content = b"BT /F1 11 Tf 72 720 Td (" + text.encode("latin-1") + b") Tj ET"
        return b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"

    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [5 0 R 6 0 R] /Count 2 >>",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>", page_text(first), page % 4, page % 7,
               page_text(second)]
    original, first_xref = pdf_file(objects)
    out = bytearray(original)
    update = len(out)
    out += b"2 0 obj\n<< /Type /Pages /Kids [5 0 R] /Count 1 >>\nendobj\n"
    second_xref = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n2 1\n%010d 00000 n \n" % update
    out += b"trailer\n<< /Size 8 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (first_xref, second_xref)
    return bytes(out)


def tarred(entries: dict[str, str]) -> bytes:
    import io
    import tarfile

    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        for name, text in entries.items():
            data = text.encode("latin-1" if name.endswith(".pdf") else "utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def sqlite_with(text: str) -> bytes:
    import sqlite3
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "notes.sqlite")
        with contextlib.closing(sqlite3.connect(path)) as database, database:
            database.execute("CREATE TABLE notes (body TEXT)")
            database.execute("INSERT INTO notes VALUES (?)", (text,))
        with open(path, "rb") as handle:
            return handle.read()


def png_with(kind: bytes, data: bytes) -> bytes:
    """A PNG of one grey pixel with one more chunk."""
    def chunk(name: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + name + body + zlib.crc32(name + body).to_bytes(4, "big")

    header = (1).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(kind, data)
            + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))


def mime_message(body: str, subtype: str, before: str = "", attach: bytes | None = None) -> bytes:
    """An e-mail with its body in base64 (and a file attached), `before` its headers."""
    from email.message import EmailMessage

    message = EmailMessage()
    message["Subject"] = "The Weekly"
    message.set_content(body, subtype=subtype, cte="base64")
    if attach is not None:
        message.add_attachment(attach, maintype="application", subtype="zip", filename="pack.zip")
    return before.encode() + bytes(message)


def v7(tar: bytes) -> bytes:
    """A tar in the old V7 format: each header without the "ustar" mark and the fields after it."""
    out, at = bytearray(tar), 0
    while at + 512 <= len(out) and out[at]:
        header = out[at : at + 512]
        header[257:512] = bytes(255)
        header[148:156] = b"%06o\0 " % (sum(header[:148]) + 8 * ord(" ") + sum(header[156:]))
        size = int(header[124:136].split(b"\0")[0].strip() or b"0", 8)
        out[at : at + 512] = header
        at += 512 + (size + 511) // 512 * 512
    return bytes(out)


def tiff_with(text: bytes, in_exif: bool = False) -> bytes:
    """A little-endian TIFF whose description (or, in_exif, its EXIF directory's user comment) is the text."""
    def directory(at: int, tag: int, kind: int, value: bytes) -> bytes:  # one entry, its value right after
        return (b"\x01\x00" + tag.to_bytes(2, "little") + kind.to_bytes(2, "little") + len(value).to_bytes(4, "little")
                + (at + 18).to_bytes(4, "little") + bytes(4) + value)

    if not in_exif:
        return b"II*\x00" + (8).to_bytes(4, "little") + directory(8, 270, 2, text + b"\x00")
    exif = directory(26, 37510, 7, b"ASCII\x00\x00\x00" + text)
    return (b"II*\x00" + (8).to_bytes(4, "little") + b"\x01\x00" + (34665).to_bytes(2, "little")
            + (4).to_bytes(2, "little") + (1).to_bytes(4, "little") + (26).to_bytes(4, "little") + bytes(4) + exif)


def zipped(entries: dict[str, str | bytes]) -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in entries.items():
            archive.writestr(name, text.encode("latin-1") if isinstance(text, str) and name.endswith((".zip", ".bin", ".pdf"))
                             else text)
    return out.getvalue()


WORD = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
HALF = len(MEMBER) // 2


@pytest.mark.parametrize(("name", "data"), [
    # a PDF of the whole note, as "the full note as a PDF" a teaser links to; lines broken as on a page
    ("full-note.pdf", minimal_pdf([MEMBER[:HALF], MEMBER[HALF:]])),
    ("uncompressed.pdf", minimal_pdf([MEMBER], compress=False)),
    # Word splits a paragraph into runs wherever the formatting or the spell checker changes, mid-word too
    ("full-note.docx", zipped({"[Content_Types].xml": "<Types/>", "word/document.xml":
                               f'<w:document xmlns:w="{WORD}"><w:body><w:p><w:r><w:t>{MEMBER[:HALF]}</w:t></w:r>'
                               f'<w:r><w:rPr><w:b/></w:rPr><w:t>{MEMBER[HALF:]}</w:t></w:r></w:p></w:body></w:document>'})),
    ("model.xlsx", zipped({"xl/sharedStrings.xml": f"<sst><si><t>{MEMBER}</t></si><si><t>1.25</t></si></sst>"})),
    ("book.epub", zipped({"mimetype": "application/epub+zip", "OEBPS/ch1.xhtml":
                          f'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>One</title></head><body>'
                          f'<h1>Refunding</h1><div>{MEMBER}</div></body></html>'})),
    ("annotated.pdf", minimal_pdf(["A chart of the curve."], note=MEMBER)),  # a sticky note on the page
    ("sample.pdf", pdf_with_its_second_page_removed("A free sample of the note.", MEMBER)),
    # Excel's "Unicode Text" export, Notepad's "Unicode": UTF-16, with and without a byte-order mark
    ("full-note.txt", MEMBER.encode("utf-16")),
    ("full-note.csv", MEMBER.encode("utf-16-le")),
    ("full-note.tsv", MEMBER.encode("utf-32-le")),  # no byte-order mark either
    ("data-pack.zip", zipped({"notes/refunding.txt": MEMBER, "model.csv": "a,b"})),
    ("data-pack.tar.gz", gzip.compress(tarred({"refunding.md": MEMBER}))),
    ("data-pack.tar.xz", __import__("lzma").compress(tarred({"notes/refunding.txt": MEMBER}))),
    ("notes.txt.bz2", __import__("bz2").compress(MEMBER.encode())),
    # a gzip file damaged at its end (its checksum): zcat shows the text before it says so
    ("damaged.txt.gz", gzip.compress(MEMBER.encode())[:-8] + bytes(4) + len(MEMBER).to_bytes(4, "little")),
    ("notes.txt.lzma", __import__("lzma").compress(MEMBER.encode(), format=__import__("lzma").FORMAT_ALONE)),
    # zstd and LZ4: a deploy step may compress in place (Caddy serves .zst files as they are)
    ("data-pack.tar.zst", __import__("zstandard").ZstdCompressor().compress(tarred({"refunding.md": MEMBER}))),
    # bytes after the last frame (a signature a tool appended): zstandard's reader then gives no text at all
    ("notes.txt.zst", __import__("zstandard").ZstdCompressor().compress(MEMBER.encode()) + b"-- signed: desk\n"),
    ("notes.txt.lz4", __import__("lz4.frame").frame.compress(MEMBER.encode())),
    # Word's RTF wraps every few words in a group of its own, with revision marks
    ("full-note.rtf", (r"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Times;}}{\*\generator Word;}\pard "
                       + "".join(rf"{{\rtlch\fcs1 \insrsid{n} {chunk}}}" for n, chunk in
                                 enumerate((MEMBER[i:i + 20] for i in range(0, len(MEMBER), 20)), 1000))
                       + r"\par}").encode()),
    # an archive whose first file is a PDF has "%PDF-" near its start: it is still read as an archive
    ("chart-and-notes.tar", tarred({"chart.pdf": minimal_pdf(["A chart."]).decode("latin-1"), "notes.txt": MEMBER})),
    # the e-mail edition, its HTML in base64 as mail programs send it; a page saved as one file (MHTML)
    ("edition.eml", mime_message(f"<p>{MEMBER}</p>", "html")),
    ("saved-page", mime_message(f"<html><body><p>{MEMBER}</p></body></html>", "html", "MIME-Version: 1.0\n")),
    ("with-attachment.eml", mime_message("See the note attached.", "plain", attach=zipped({"note.txt": MEMBER}))),
    # a forwarded e-mail sent in base64; a transfer encoding with a space after it, as mail programs take it
    ("forwarded.eml", b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=zz\n\n--zz\nContent-Type: message/rfc822"
     b"\nContent-Transfer-Encoding: base64\n\n" + base64.encodebytes(mime_message(f"<p>{MEMBER}</p>", "html")) + b"--zz--\n"),
    ("spaced.eml", b"MIME-Version: 1.0\nContent-Type: text/html\nContent-Transfer-Encoding: base64 \n\n"
     + base64.encodebytes(f"<p>{MEMBER}</p>".encode())),
    # binary files with text in them: a database of the notes, a chart with its description in the PNG
    # (plain and compressed), a photo with its caption in XMP
    ("notes.sqlite", sqlite_with(MEMBER)),
    # a page that only starts like an e-mail (a browser shows it as written), and a UTF-16 attachment
    ("prefixed-note.txt", b"MIME-Version: 1.0\nContent-Transfer-Encoding: base64\n\n<html><p>" + MEMBER.encode() + b"</p>"),
    ("utf16-attachment.eml", mime_message("See attached.", "plain", attach=MEMBER.encode("utf-16"))),
    # UTF-16 in a binary file, typographic (its quotes and no-break spaces are not ASCII), either byte order
    ("typographic.bin", bytes(range(256)) * 4 + MEMBER.replace(" ", "\u2019\u00a0").encode("utf-16-le") + bytes(64)),
    ("big-endian.plist", b"bplist00" + bytes(300) + MEMBER.replace(" ", "\u00a0").encode("utf-16-be") + bytes(64)),
    ("model.xlsb", zipped({"xl/sharedStrings.bin": b"\x9f\x01\x00" * 20 + MEMBER.encode("utf-16-le") + bytes(8)})),
    ("curve.png", png_with(b"tEXt", b"Description\x00" + MEMBER.encode("latin-1"))),
    ("curve-itxt.png", png_with(b"iTXt", b"Description\x00\x01\x00en\x00\x00" + zlib.compress(MEMBER.encode()))),
    ("desk.jpg", b"\xff\xd8\xff\xe1" + (len(MEMBER) + 31).to_bytes(2, "big") + b"http://ns.adobe.com/xap/1.0/\x00"
     + MEMBER.encode() + b"\xff\xda\x00\x02" + bytes(range(256)) * 8),
    # a TIFF's description, and a comment in its EXIF directory
    ("scan.tif", tiff_with(MEMBER.encode())),
    ("photo.tiff", tiff_with(MEMBER.encode(), in_exif=True)),
    # a comment a tool wrote after the picture data, before its end marker
    ("late-comment.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xda\x00\x02"
     + bytes(range(256)) * 8 + b"\xff\xfe" + (len(MEMBER) + 2).to_bytes(2, "big") + MEMBER.encode() + b"\xff\xd9"),
    # an old V7 tar (no "ustar" mark: `tar --format=v7`), known by its header's checksum
    ("old-format.tar", v7(tarred({"notes/refunding.txt": MEMBER}))),
    # a .docx whose XML a tool left damaged (cut short): Word's runs, mid-word too, still read joined
    ("damaged.docx", zipped({"word/document.xml": f'<w:document xmlns:w="{WORD}"><w:body><w:p>' + "".join(
        f"<w:r><w:t>{MEMBER[i:i + 7]}</w:t></w:r>" for i in range(0, len(MEMBER), 7)) + "</w:p><w:p><w:r"})),
    # Word breaks a line with <w:br/>: the words either side are apart, not one
    ("lines.docx", zipped({"word/document.xml": f'<w:document xmlns:w="{WORD}"><w:body><w:p><w:r><w:t>'
                           + "</w:t><w:br/><w:t>".join(MEMBER.split(" ", 3)) + "</w:t></w:r></w:p></w:body></w:document>"})),
])
def test_a_document_under_content_a_teaser_links_to_is_read_as_a_reader_would(site: Path, name: str,
                                                                                data: bytes) -> None:
    (site / "content" / "files").mkdir()
    (site / "content" / "files" / name).write_bytes(data)
    post = site / MEMBER_PATH
    post.write_text(post.read_text().replace(PUBLIC_OPENING, f"{PUBLIC_OPENING} [The full note](/files/{name}).")
                    .replace("teaser: 13", "teaser: 16"))
    report = leak_error(site)
    assert f"public/files/{name}: leaks member-only text of {MEMBER_PATH}" in report
    assert "if it is for members, link to it only after the teaser's cut (<!--more-->)" in report


def test_a_damaged_office_file_and_a_huge_text_are_read_in_bounded_time_and_memory(
        site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from tearsheet.documents import document_text

    started = time.perf_counter()
    assert document_text("d.docx", zipped({"word/document.xml": "<" + "a" * 1_000_000})) is not None  # never closed
    assert time.perf_counter() - started < 5  # (it took minutes: a "<" never closed was tried at every length)
    monkeypatch.setattr("tearsheet.public_tree.SLICE", 1000)  # a text is read a slice at a time, slices overlapping
    monkeypatch.setattr("tearsheet.public_tree.OVERLAP", 300)
    (site / "static" / "long.txt").write_text("Filler words. " * 70 + MEMBER + " More filler." * 200)
    assert f"public/assets/long.txt: leaks member-only text of {MEMBER_PATH}" in leak_error(site)  # across a cut


def test_a_document_without_member_text_is_published(site: Path) -> None:
    (site / "content" / "files").mkdir()
    (site / "content" / "files" / "curve.png").write_bytes(png_with(b"tEXt", b"Software\x00A charting tool"))
    (site / "content" / "files" / "free.pdf").write_bytes(minimal_pdf([PUBLIC_OPENING, "A chart of the curve."]))
    (site / "content" / "files" / "data.zip").write_bytes(zipped({"rates.csv": "date,rate\n2026-01-02,4.25\n"}))
    (site / "content" / "posts" / "free.md").write_text(FREE + "\n[PDF](/files/free.pdf), [data](/files/data.zip)\n"
                                                        "![The curve](/files/curve.png)\n")
    build(site)
    assert (site / "output" / "public" / "files" / "free.pdf").exists()
    assert (site / "output" / "public" / "files" / "curve.png").exists()


def test_a_pdf_the_audit_cannot_read_stops_the_build(site: Path) -> None:
    (site / "content" / "files").mkdir()
    (site / "content" / "files" / "broken.pdf").write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 4)
    (site / "content" / "posts" / "free.md").write_text(FREE + "\n[PDF](/files/broken.pdf)\n")
    report = leak_error(site)
    assert "public/files/broken.pdf: cannot search this file for member-only text" in report
    assert "print it to a new PDF" in report


def test_a_compressed_bomb_stops_the_build_rather_than_fill_the_memory(site: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tearsheet.documents.MAX_ARCHIVE_BYTES", 1_000_000)
    (site / "static" / "bomb.txt.gz").write_bytes(gzip.compress(b" " * 5_000_000))
    assert "public/assets/bomb.txt.gz: cannot search this file for member-only text: it unpacks to more than 1 MB" \
        in leak_error(site)


def test_a_brotli_bomb_stops_the_build_rather_than_fill_the_memory(site: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    brotli = pytest.importorskip("brotli")
    monkeypatch.setattr("tearsheet.documents.MAX_ARCHIVE_BYTES", 1_000_000)
    (site / "static" / "bomb.html.br").write_bytes(brotli.compress(b" " * 5_000_000))
    assert "public/assets/bomb.html.br: cannot search this file for member-only text: it unpacks to more than 1 MB" \
        in leak_error(site)
    (site / "static" / "bomb.html.br").write_bytes(brotli.compress(b" " * 900_000 + MEMBER.encode()))
    assert "public/assets/bomb.html.br: leaks member-only text" in leak_error(site)  # within it: read to its end


def test_archives_within_archives_share_one_limit(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tearsheet.documents.MAX_ARCHIVE_BYTES", 100_000)
    inner = zipped({"a.txt": "a " * 30_000})  # 60 KB each, two of them: within the limit alone, not together
    (site / "static" / "nested.zip").write_bytes(zipped({"one.zip": inner.decode("latin-1"),
                                                         "two.zip": inner.decode("latin-1")}))
    assert "public/assets/nested.zip: cannot search this file for member-only text" in leak_error(site)


def test_a_workbook_with_macros_is_read_and_published(site: Path) -> None:
    """Its macro project is an old-style binary inside the zip: code, not text, and no reason to stop."""
    (site / "content" / "files").mkdir()
    (site / "content" / "files" / "model.xlsm").write_bytes(zipped({
        "xl/sharedStrings.xml": "<sst><si><t>Rates model</t></si></sst>",
        "xl/vbaProject.bin": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)).decode("latin-1")}))
    (site / "content" / "posts" / "free.md").write_text(FREE + "\n[The model](/files/model.xlsm)\n")
    build(site)
    assert (site / "output" / "public" / "files" / "model.xlsm").exists()


@pytest.mark.parametrize(("name", "data", "message"), [
    ("pack.7z", b"7z\xbc\xaf\x27\x1c\x00\x04" + MEMBER.encode(), "it is a 7z archive, which the audit cannot unpack"),
    ("pack.rar", b"Rar!\x1a\x07\x01\x00" + MEMBER.encode(), "it is a RAR archive, which the audit cannot unpack"),
    ("notes.txt.zst", b"\x28\xb5\x2f\xfd" + MEMBER.encode(),
     "it is compressed with zstd, and no zstandard module is installed to undo it"),
    ("many-parts.eml", b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n" + b"--b\n\n" * 20_000,
     "it is an e-mail of more than 10000 parts"),
    ("streams.gz", gzip.compress(b"") * 2000, "it holds more than 1000 compressed streams one after another"),
    ("entities.docx", zipped({"word/document.xml": '<!DOCTYPE d [<!ENTITY e "xxxxxxxxxx">]><d>' + "&e;" * 100 + "</d>"}),
     "its XML declares entities, which Word, Excel and PowerPoint files never do"),  # a billion laughs, small
    ("nested.eml", b"MIME-Version: 1.0\n" + b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (n, n)
                                                      for n in range(3000)) + b"Content-Type: text/plain\n\nhi\n",
     "cannot read it as an e-mail (RecursionError"),  # past what Python's e-mail parser can nest
])
def test_an_archive_or_compression_the_audit_cannot_undo_stops_the_build(site: Path, monkeypatch: pytest.MonkeyPatch,
                                                                         name: str, data: bytes, message: str) -> None:
    monkeypatch.setattr("tearsheet.documents._zstd_unpacker", lambda: None)  # as where no module for zstd is installed
    (site / "content" / "files").mkdir()
    (site / "content" / "files" / name).write_bytes(data)
    (site / "content" / "posts" / "free.md").write_text(FREE + f"\n[The data](/files/{name})\n")
    assert f"public/files/{name}: cannot search this file for member-only text: {message}" in leak_error(site)


def test_an_old_binary_office_file_stops_the_build(site: Path) -> None:
    (site / "content" / "files").mkdir()
    (site / "content" / "files" / "model.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    (site / "content" / "posts" / "free.md").write_text(FREE + "\n[The model](/files/model.xls)\n")
    report = leak_error(site)
    assert "public/files/model.xls: cannot search this file for member-only text: it is a Word, Excel or " in report
    assert "save it as .docx, .xlsx, .pptx or PDF" in report


def test_an_old_binary_office_file_in_a_zip_is_read_as_its_strings(site: Path) -> None:
    """A zipped folder of notes with an old .doc, a Thumbs.db: not a reason to stop, but read all the same."""
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)
    (site / "content" / "files").mkdir()
    (site / "content" / "files" / "photos.zip").write_bytes(zipped({"Thumbs.db": ole, "a.txt": "Desk photos."}))
    (site / "content" / "files" / "notes.zip").write_bytes(zipped({"note.doc": ole + MEMBER.encode("cp1252") + ole}))
    (site / "content" / "posts" / "free.md").write_text(FREE + "\n[Photos](/files/photos.zip) [Notes](/files/notes.zip)\n")
    report = leak_error(site)
    assert f"public/files/notes.zip: leaks member-only text of {MEMBER_PATH}" in report
    assert "photos.zip" not in report


def test_an_svgs_wrapped_lines_read_as_one_text(site: Path) -> None:
    """A chart's annotation, wrapped into <tspan> lines of a few words each."""
    words = MEMBER.split()
    lines = "".join(f'<tspan x="0" dy="1.2em">{" ".join(words[i:i + 5])}</tspan>' for i in range(0, 15, 5))
    (site / "static" / "curve.svg").write_text(f'<svg xmlns="http://www.w3.org/2000/svg"><text>{lines}</text></svg>')
    assert f"public/assets/curve.svg: leaks member-only text of {MEMBER_PATH}" in leak_error(site)


def test_seven_words_are_below_the_audits_resolution(site: Path) -> None:
    (site / "content" / "short.txt").write_text(" ".join(MEMBER.split()[:SHINGLE - 1]), encoding="utf-8")
    build(site)


def test_member_text_the_public_may_read_elsewhere_is_not_a_leak(write_site: Callable[..., Path]) -> None:
    quoting = FREE.replace("Free words", f"As our members read: {MEMBER} Free words")
    described = PLUS.replace("A public description of the refunding note.", MEMBER.split(",")[0])
    site = write_site({MEMBER_PATH: described, "content/posts/free.md": quoting})
    build(site)


def test_boilerplate_shared_by_posts_is_not_a_leak(write_site: Callable[..., Path]) -> None:
    table = "| Asset | 1w | 1m | YTD |\n|---|---:|---:|---:|\n| SPX | +1.0% | +2.0% | +3.0% |\n"
    first = PLUS.replace(PUBLIC_OPENING, f"{table}\nOpening words.")
    second = PLUS.replace(MEMBER, f"{MEMBER[:20]}\n\n{table}").replace("The refunding", "The auction")
    site = write_site({MEMBER_PATH: first, "content/posts/auction.md": second})
    build(site)


def test_the_audit_command_names_each_leaking_file(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build(site)
    public = site / "output" / "public"
    (public / "a.html").write_text(f"<p>{MEMBER}</p>", encoding="utf-8")
    (public / "deep").mkdir()
    (public / "deep" / "b.json.gz").write_bytes(gzip.compress(MEMBER.encode()))
    assert main(["audit", str(site / "output"), "--site", str(site)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("2 problems:")
    assert f"public/a.html: leaks member-only text of {MEMBER_PATH}" in err
    assert f"public/deep/b.json.gz: leaks member-only text of {MEMBER_PATH}" in err


def test_the_audit_command_renders_the_posts_on_workers(site: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A site of thousands of posts is rendered on every core, as a build does; the leak is still found."""
    build(site)
    monkeypatch.setattr(tearsheet.parallel, "MIN_PARALLEL_BODIES", 1)
    monkeypatch.setattr(tearsheet.parallel, "BODY_CHUNK", 1)
    monkeypatch.setattr(tearsheet.audit, "default_jobs", lambda: 2)
    started = []
    real_start = tearsheet.parallel.start_pool
    monkeypatch.setattr(tearsheet.parallel, "start_pool", lambda *a, **k: started.append(1) or real_start(*a, **k))
    assert main(["audit", str(site / "output"), "--site", str(site)]) == 0
    (site / "output" / "public" / "c.html").write_text(f"<div hidden>{MEMBER}</div>", encoding="utf-8")
    assert main(["audit", str(site / "output"), "--site", str(site)]) == 1
    assert f"public/c.html: leaks member-only text of {MEMBER_PATH}" in capsys.readouterr().err
    assert started  # the bodies were rendered on workers


def test_the_audit_command_without_a_public_folder_is_a_clear_error(site: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", str(site / "nowhere"), "--site", str(site)]) == 1
    assert "no public/ folder here to audit" in capsys.readouterr().err


def test_a_post_that_is_free_now_is_no_longer_member_only(site: Path) -> None:
    build(site)
    (site / "output" / "public" / "a.html").write_text(MEMBER, encoding="utf-8")
    assert audit_output(str(site), str(site / "output")).problems
    (site / "content" / "posts" / "refunding.md").write_text(PLUS.replace("tier: plus", "tier: free"))
    assert audit_output(str(site), str(site / "output")).problems == ()


def test_normalising_treats_typography_markup_and_escapes_alike() -> None:
    forms = [
        "<p>The Fed\u2019s \u201cdot plot\u201d\u2014a guide\u2026 to <em>cuts</em></p>",
        "The Fed's \"dot plot\" -- a guide... to cuts",
        '"The Fed\\u2019s \\"dot plot\\"\\u2014a guide\\u2026 to cuts"',
        "&lt;p&gt;The Fed&amp;rsquo;s &amp;ldquo;dot plot&amp;rdquo;&amp;mdash;a guide&hellip; to cuts&lt;/p&gt;",
        "THE FED&#8217;S DOT&nbsp;PLOT \u2013 A GUIDE TO CUTS",
    ]
    assert {tuple(normal_words(form)[0]) for form in forms} == {(b"the", b"fed", b"s", b"dot", b"plot", b"a",
                                                                b"guide", b"to", b"cuts")}


def test_tags_are_told_apart_in_any_case() -> None:
    # inline tags join the words around them, block tags end a run, whatever case a template writes them in
    for inline in ("<em>", "<EM>", "<Em class='x'>", "<A HREF='/x'>", "<Br/>"):
        assert normal_words(f"<P>one two{inline}three</P>") == [[b"one", b"two", b"three"]]
    for block in ("<div>", "<DIV>", "<Li>", "<TD-X>", "<P CLASS='x'>", "<BODY>"):
        assert normal_words(f"<p>one two{block}three</p>") == [[b"one", b"two"], [b"three"]]


def test_a_block_seen_as_an_attribute_value_has_its_own_values_searched() -> None:
    # a reader leaves out a block it has seen, even as an attribute value (a %-escaped one can hold markup);
    # the values inside that block are searched all the same: those of a block only met as a value too
    from urllib.parse import quote

    from tearsheet.shingles import SeenBlocks, normal_tokens, shingle_array

    title = "the desk expects the quarterly refunding to lean on bills"
    block = f'<b title="{title}">Read on</b> for what it means'
    seen = SeenBlocks()
    read = [*shingle_array(normal_tokens(f'<meta name="x" content="{quote(block)}">'.encode(), seen)),
            *shingle_array(normal_tokens(f"<p>{block}</p>".encode(), seen))]
    assert set(shingle_array(normal_tokens(title))) <= set(read)


def test_forked_workers_find_what_one_process_finds(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(site)
    public = site / "output" / "public"
    (public / "a.html").write_text(f"<p>{MEMBER}</p>", encoding="utf-8")
    (public / "z.txt.gz").write_bytes(gzip.compress(MEMBER.encode()))
    one = audit_output(str(site), str(site / "output")).problems
    monkeypatch.setattr("tearsheet.parallel.MIN_SPREAD_ITEMS", 1)
    monkeypatch.setattr("tearsheet.audit.default_jobs", lambda: 3)
    assert audit_output(str(site), str(site / "output")).problems == one
    assert len(one) == 2


def test_a_leak_reaches_the_search_index_and_is_named_there(site: Path) -> None:
    from tearsheet.search import find_pagefind

    if find_pagefind() is None:
        pytest.skip("no pagefind binary: the search index is not built")
    (site / "templates").mkdir()
    theme_post = Path(tearsheet.templates.THEME_DIR) / "templates" / "post.html"
    (site / "templates" / "post.html").write_text(  # a post page that prints a member sentence after the body
        theme_post.read_text().replace("{{ post.html | safe }}", f"{{{{ post.html | safe }}}}<p>{MEMBER}</p>"),
        encoding="utf-8")
    report = leak_error(site)
    assert "public/pagefind/fragment/" in report and ".pf_fragment: leaks member-only text of" in report


def test_a_disclaimer_every_page_shows_and_plus_posts_repeat_is_the_sites_own(site: Path) -> None:
    """Written into a template, it is taken for a leak, with a hint to set it in site.toml instead,
    where the theme prints it under every page and the audit takes it as public."""
    disclaimer = "Nothing in this note is investment advice, and past performance is no guide to future returns."
    post = site / MEMBER_PATH
    post.write_text(post.read_text() + f"\n*{disclaimer}*\n")
    (site / "templates" / "partials").mkdir(parents=True)
    (site / "templates" / "partials" / "footer_extra.html").write_text(f"<p class=\"legal\">{disclaimer}</p>\n")
    report = leak_error(site)
    assert f"public/index.html: leaks member-only text of {MEMBER_PATH}" in report
    assert ("the template templates/partials/footer_extra.html writes these words as they stand: if they are the "
            "site's own (a disclaimer), set them as `disclaimer` in site.toml") in report
    (site / "templates" / "partials" / "footer_extra.html").unlink()
    (site / "site.toml").write_text(f'disclaimer = "{disclaimer}"\n' + (site / "site.toml").read_text())
    build(site)  # no leak reported
    assert f'<p class="footer-disclaimer">{disclaimer}</p>' in (site / "output" / "public" / "index.html").read_text()


def test_words_a_template_puts_side_by_side_are_not_taken_for_a_leak(write_site: Callable[..., Path]) -> None:
    # Found on the 10,000-post corpus: a feed item shows a description, then the body; the end of the one
    # and the start of the other happened to read like eight words of another post's member-only text.
    free = """\
    ---
    title: "Funding notes"
    date: 2026-09-01T07:00:00Z
    description: "Repo and bills set the tone for funding"
    ---

    Asset flows into bills kept repo rates pinned near the floor all week.
    """
    plus = """\
    ---
    title: "The plumbing"
    date: 2026-10-01T07:00:00Z
    tier: plus
    teaser: 5
    ---

    Public words open this note today.

    Cheap dollars still mean tight funding asset flows into bills kept repo rates pinned as before.
    """
    site = write_site({"content/posts/free.md": free, "content/posts/plus.md": plus})
    build(site)  # no leak reported
    feed = (site / "output" / "public" / "feeds" / "rss.xml").read_text()
    assert "set the tone for funding</description>" in feed and "Asset flows into bills" in feed


def test_member_text_with_its_markup_stripped_is_still_a_leak(site: Path) -> None:
    (site / "templates" / "partials").mkdir(parents=True)
    (site / "templates" / "partials" / "footer_extra.html").write_text(
        "{% for p in site.posts %}{{ p.html | striptags }}{% endfor %}\n", encoding="utf-8")
    build(site)  # the public build holds teasers only: nothing to leak
    assert audit_output(str(site), str(site / "output")).problems == ()
    members_page = (site / "output" / "members" / "index.html").read_text()
    public = site / "output" / "public"
    (public / "copied.html").write_text(members_page, encoding="utf-8")  # a deploy step copying the wrong tree
    (public / "stripped.txt").write_text(" ".join(normal_words_text(members_page)), encoding="utf-8")
    problems = audit_output(str(site), str(site / "output")).problems
    assert {p.path for p in problems} >= {f"{os.path.relpath(public)}/copied.html",
                                          f"{os.path.relpath(public)}/stripped.txt"}


def normal_words_text(html: str) -> list[str]:
    return [b" ".join(words).decode() for words in normal_words(html)]


# The audit's memory: a warm build reads only the files that changed, and misses nothing for it

def files_passed_to(monkeypatch: pytest.MonkeyPatch, function: str, position: int) -> list[str]:
    """The file names given to one of public_tree's functions from now on (the argument at `position`)."""
    names: list[str] = []
    real = getattr(tearsheet.public_tree, function)

    def counting(*args: object, **kwargs: object) -> object:
        names.append(str(args[position]))
        return real(*args, **kwargs)

    monkeypatch.setattr(f"tearsheet.public_tree.{function}", counting)
    return names


def files_searched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return files_passed_to(monkeypatch, "token_runs", 0)


def files_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return files_passed_to(monkeypatch, "raw_bytes", 1)


@pytest.fixture(params=["own cache", "cache kept in memory"])
def builds(request: pytest.FixtureRequest, site: Path) -> Callable[[], object]:
    """Build the site again and again: each build with a cache of its own, or as `serve` does, with one kept."""
    if request.param == "own cache":
        return lambda: build(site)
    kept = BuildCache(str(site))
    started: list[bool] = []

    def again() -> object:
        if started:
            kept.next_build()
        started.append(True)
        return build_site(BuildOptions(site_dir=str(site)), kept)

    return again


def leak_error_of(builds: Callable[[], object]) -> str:
    with pytest.raises(SiteError) as caught:
        builds()
    return caught.value.report()


def test_a_warm_build_searches_only_the_files_that_changed(site: Path, builds: Callable[[], object],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    builds()
    searched = files_searched(monkeypatch)
    path = site / "content" / "posts" / "free.md"
    path.write_text(path.read_text() + "\nOne more free sentence about the dollar and the curve today.\n")
    builds()
    assert "2026/09/free/index.html" in searched
    assert 0 < len(searched) < len(read_tree(site / "output" / "public")) / 2


def test_warm_builds_read_only_the_files_written_since_the_last_audits(site: Path, builds: Callable[[], object],
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = site / "content" / "posts" / "free.md"
    for n in range(3):  # the first builds make the spare tree: files linked into it are read again once
        path.write_text(path.read_text() + f"\nFree sentence number {n} about the dollar and the curve today.\n")
        builds()
    read = files_read(monkeypatch)
    path.write_text(path.read_text() + "\nOne more free sentence about the dollar and the curve today.\n")
    builds()
    assert "2026/09/free/index.html" in read
    unchanged = ["2026/10/refunding/index.html", "robots.txt", "tags/index.html", "archive/2026/10/index.html"]
    assert not set(unchanged) & set(read)
    assert len(read) < len(read_tree(site / "output" / "public")) * 3 / 4  # Pagefind writes all its files anew


def test_a_file_changed_in_place_with_its_size_and_time_kept_is_read_again(site: Path, tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    build(site)
    plan = plan_site(BuildOptions(site_dir=str(site)))
    audit, public = audit_input(plan.config, plan.posts, plan.pages), str(site / "output" / "public")
    memory = AuditMemory(str(tmp_path / "memory"))
    assert audit_tree(public, audit, memory=memory) == []  # it reads every file, and remembers them
    read = files_read(monkeypatch)
    assert audit_tree(public, audit, memory=memory) == [] and read == []  # nothing changed: nothing read
    page = site / "output" / "public" / "2026" / "09" / "free" / "index.html"
    data, before = page.read_bytes(), page.stat()
    free_words = b"Free words that anyone may read, in full, about payrolls and claims and the dollar."
    page.write_bytes(data.replace(free_words, MEMBER.encode()[: len(free_words)]))
    os.utime(page, ns=(before.st_atime_ns, before.st_mtime_ns))  # as a tool that hides its edit would
    after = page.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
    problems = audit_tree(public, audit, memory=memory)
    everything = sorted(read_tree(site / "output" / "public"))
    # it reads that file alone; then, finding a leak, it forgets what it remembers and reads all afresh
    assert read[0] == "2026/09/free/index.html" and read[1 : 1 + len(everything)] == everything
    assert [(p.path, p.message.split(":")[0]) for p in problems] == [
        ("public/2026/09/free/index.html", f"leaks member-only text of {MEMBER_PATH}")]


def test_a_leak_planted_after_a_clean_build_is_caught_by_the_warm_build(site: Path,
                                                                        builds: Callable[[], object]) -> None:
    builds()
    (site / "static" / "notes.txt").write_text(f"Desk notes: {MEMBER}\n", encoding="utf-8")
    report = leak_error_of(builds)
    assert f'public/assets/notes.txt: leaks member-only text of {MEMBER_PATH}: "our desk expects' in report
    assert "it is static/notes.txt, which both sites have as it stands" in report  # the file to fix, by its name


def test_member_text_added_to_a_post_that_an_unchanged_file_already_shows_is_caught(
        site: Path, builds: Callable[[], object]) -> None:
    sentence = "Treasury buybacks will quietly absorb the off-the-run supply the dealers cannot warehouse."
    (site / "static" / "notes.txt").write_text(f"Desk notes: {sentence}\n", encoding="utf-8")
    builds()  # the sentence is in a public file, but no post has it yet: no leak
    post = site / MEMBER_PATH
    post.write_text(post.read_text() + f"\n{sentence}\n")  # now it is member-only text, and notes.txt is unchanged
    report = leak_error_of(builds)
    assert f'public/assets/notes.txt: leaks member-only text of {MEMBER_PATH}: "treasury buybacks will quietly' in report
    (site / "static" / "notes.txt").unlink()
    builds()  # fixed: the memory that a failed audit left behind does not stop the next build
    (site / "static" / "notes2.txt").write_text(f"More notes: {sentence}\n", encoding="utf-8")
    assert "public/assets/notes2.txt: leaks member-only text" in leak_error_of(builds)


def test_a_free_post_going_behind_the_wall_is_not_taken_for_a_leak_of_its_old_public_page(
        site: Path, builds: Callable[[], object]) -> None:
    builds()
    free = site / "content" / "posts" / "free.md"
    free.write_text(free.read_text().replace("tier: free", "tier: plus\nteaser: 3"))
    builds()  # the old page showed the whole post; what the memory remembers of it is checked afresh
    page = (site / "output" / "public" / "2026" / "09" / "free" / "index.html").read_text()
    assert "Free words that" in page and "about payrolls and claims" not in page


def test_a_member_index_merged_over_many_edits_still_catches_each_posts_leak(
        write_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tearsheet.member_shingles.MAX_PARTS", 1)  # every edit merges the parts it kept
    sentences = ["Dealers are long duration into month end and the basis trade is crowded again this week.",
                 "Swap spreads at the long end tell you how little balance sheet the banks will spare now.",
                 "Emerging market carry still pays for the risk, but only where the central bank is credible."]
    site = write_site({"content/posts/free.md": FREE, **{
        f"content/posts/plus{n}.md": PLUS.replace("The refunding", f"Note {n}").replace("10-01", f"10-0{n + 1}")
        .replace(MEMBER, sentence) for n, sentence in enumerate(sentences)}})
    build(site)
    edit = "Edit {n}: the long end sold off into the auction again as real money stepped away from it."
    for n in (0, 1, 0):
        path = site / f"content/posts/plus{n}.md"
        path.write_text(path.read_text() + "\n" + edit.format(n=n) + "\n")
        build(site)  # each post's old part goes, its new one is added, and the rest are merged into one
    (site / "static").mkdir()
    (site / "static" / "notes.txt").write_text(f"Desk notes: {edit.format(n=1)} {sentences[2]}\n")
    report = leak_error(site)
    assert 'public/assets/notes.txt: leaks member-only text of content/posts/plus1.md: "edit 1 the long end' in report
    assert 'public/assets/notes.txt: leaks member-only text of content/posts/plus2.md: "emerging market carry' in report


@pytest.mark.parametrize("damage", ["truncate", "garble", "delete"])
def test_a_damaged_memory_is_ignored_and_a_leak_still_caught(site: Path, damage: str) -> None:
    build(site)
    folder = next((site / ".tearsheet-cache").glob("output-*/audit"))
    for path in folder.iterdir():
        data = path.read_bytes()
        if damage == "truncate":
            path.write_bytes(data[: len(data) // 2])
        elif damage == "garble":
            path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
        else:
            path.unlink()
    (site / "static" / "notes.txt").write_text(f"Desk notes: {MEMBER}\n", encoding="utf-8")
    assert "public/assets/notes.txt: leaks member-only text of" in leak_error(site)


def _resident_kb() -> int:
    """How much memory this process holds now (Linux's /proc/self/status)."""
    line = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1])


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads Linux's /proc/self/status")
def test_the_audit_memory_is_looked_up_in_place_not_read_into_memory(tmp_path: Path) -> None:
    import numpy as np

    hashes = np.arange(0, 8_000_000 * 7, 7, dtype=np.uint64)  # 64 MB of member shingles, sorted
    saver = os.fork()  # a build saves the memory, a later one loads it
    if saver == 0:
        try:
            AuditMemory(str(tmp_path)).save(set(), set(), [hashes[::2].copy()], [b"post"],
                                            [(hashes, np.zeros(len(hashes), np.int32))],
                                            np.zeros(0, np.uint64), np.zeros(0, np.int32))
        finally:
            os._exit(0)
    os.waitpid(saver, 0)
    before = _resident_kb()
    memory = AuditMemory(str(tmp_path))
    (members, _), = memory.member_parts
    assert _resident_kb() - before < 4096  # 96 MB on disk: checked, then let go
    assert np.array_equal(members[[0, 123_456, -1]], hashes[[0, 123_456, -1]])
    assert np.searchsorted(members, np.uint64(7 * 5_000_001)) == 5_000_001
    # lookups bring back the pages they read (and what the kernel maps around them), not the arrays: NumPy
    # copied an unaligned array whole before each search
    assert _resident_kb() - before < 16384


def test_member_text_in_a_windows_code_page_file_is_caught(write_site: Callable[..., Path]) -> None:
    # Every run of 8 words crosses a dash or a curly quote: bytes 0x93, 0x94 and 0x97 in code page 1252,
    # which are not UTF-8 alone and were read as letters, gluing the words around them into one
    dashed = ("Bills carry the refunding \u2014 coupon sizes hold \u201csteady\u201d \u2014 the belly richens "
              "further \u2014 swap spreads tighten again \u2014 dealers stay long \u2014 into month end.")
    site = write_site({"content/posts/free.md": FREE,
                       "content/posts/refunding.md": PLUS.replace(MEMBER, dashed),
                       "static/desk-notes.txt": f"Desk notes, saved by an old Notepad: {dashed}\r\n".encode("cp1252")})
    assert 'public/assets/desk-notes.txt: leaks member-only text of content/posts/refunding.md' in leak_error(site)


def test_text_no_longer_quoted_publicly_leaks_from_an_unchanged_file(site: Path) -> None:
    quote = MEMBER.split(",")[0]
    (site / "static" / "notes.txt").write_text(f"Desk notes: {quote}\n", encoding="utf-8")
    free = site / "content" / "posts" / "free.md"
    free.write_text(free.read_text() + f"\nAs our members read: {quote}.\n")
    build(site)  # a free post quotes the sentence: the public may read it
    free.write_text(free.read_text().replace(f"\nAs our members read: {quote}.\n", ""))
    assert "public/assets/notes.txt: leaks member-only text of" in leak_error(site)  # notes.txt is unchanged


def test_a_search_index_joining_the_teaser_to_its_footnote_is_not_a_leak(write_site: Callable[..., Path]) -> None:
    # Found on the 1,000-post corpus: Pagefind's plain text runs the teaser's last words into the kept
    # footnote, which happened to begin with the word after the cut: eight words, as in the full text.
    plus = """\
    ---
    title: "The rotation"
    date: 2026-10-01T07:00:00Z
    tier: plus
    teaser: 12
    ---

    Alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima[^1] rotation mike november oscar papa quebec romeo sierra tango.

    [^1]: Rotation is what the desk calls it.
    """
    site = write_site({"content/posts/plus.md": plus})
    build(site)
    public = site / "output" / "public"
    assert "mike november" not in (public / "2026" / "10" / "plus" / "index.html").read_text()
    (public / "joined.txt").write_text("golf hotel india juliet kilo lima 1 rotation is what the desk calls it")
    assert audit_output(str(site), str(site / "output")).problems == ()
    (public / "leak.txt").write_text("mike november oscar papa quebec romeo sierra tango")  # eight member-only words
    assert [p.path for p in audit_output(str(site), str(site / "output")).problems] == [
        f"{os.path.relpath(public)}/leak.txt"]


def plus_site(write_site: Callable[..., Path], count: int) -> tuple[Path, list[str]]:
    """A site of `count` plus posts, each with a member sentence of its own."""
    sentences = [f"Member note {n}: dealers are long duration into month end and the basis trade is crowded "
                 f"again, so swap spreads tell you how little balance sheet the banks spare." for n in range(count)]
    site = write_site({"content/posts/free.md": FREE, **{
        f"content/posts/plus{n}.md": PLUS.replace("The refunding", f"Note {n}").replace(MEMBER, sentence)
        for n, sentence in enumerate(sentences)}})
    return site, sentences


def test_member_shingles_made_ahead_are_the_ones_the_audit_makes(write_site: Callable[..., Path]) -> None:
    import tearsheet.member_shingles as members
    from tearsheet.audit import plus_posts
    from tearsheet.member_shingles import MembersAhead, known_members, member_shingles

    site, _ = plus_site(write_site, 5)
    plus = plus_posts(plan_site(BuildOptions(site_dir=str(site), cache=False)).posts)
    index = known_members(plus, None)

    def pairs(parts: list[tuple[members.Buffer, members.Buffer]]) -> set[tuple[int, int]]:
        import numpy as np

        return {pair for hashes, owners in parts
                for pair in zip(np.frombuffer(hashes, np.uint64).tolist(), np.frombuffer(owners, np.int32).tolist(),
                                strict=True)}

    ahead = MembersAhead(plus)
    ahead._wait()  # let it finish every post
    done, parts = ahead.take(index)
    assert done == len(plus) == 5
    assert pairs(parts) == pairs([member_shingles(range(len(plus)), plus)])
    stopped = MembersAhead(plus)
    early, parts = stopped.take(index)  # stopped at once: what it finished, the first posts, and nothing else
    assert early < len(plus)
    assert pairs(parts) == pairs([member_shingles(range(early), plus)])


@pytest.mark.parametrize("finished", [True, False])
def test_a_leak_of_a_post_shingled_ahead_or_not_is_caught(write_site: Callable[..., Path],
                                                          monkeypatch: pytest.MonkeyPatch, finished: bool) -> None:
    import tearsheet.member_shingles as members

    site, sentences = plus_site(write_site, 6)
    monkeypatch.setattr(members, "AHEAD_MIN_POSTS", 1)
    monkeypatch.setattr(members, "AHEAD_STEP", 1)
    monkeypatch.setattr(members, "AHEAD_PART", 2)  # parts of two posts
    monkeypatch.setattr(tearsheet.parallel, "MIN_SPREAD_ITEMS", 1)
    taken = []
    take = members.MembersAhead.take

    def spied(self: members.MembersAhead, index: members.MemberIndex) -> tuple[int, list[tuple[members.Buffer,
                                                                                               members.Buffer]]]:
        self._wait()  # let it finish what it was given
        result = take(self, index)
        taken.append(result[0])
        return result

    monkeypatch.setattr(members.MembersAhead, "take", spied)
    if not finished:  # as if stopped after three posts: the audit shingles the other three itself
        to_shingle = members.MembersAhead._to_shingle
        monkeypatch.setattr(members.MembersAhead, "_to_shingle", lambda self: to_shingle(self)[:3])
    (site / "static").mkdir()
    (site / "static" / "notes.txt").write_text(" ".join(sentences), encoding="utf-8")
    with pytest.raises(SiteError) as caught:
        build(site, jobs=2)
    report = caught.value.report()
    assert all(f"leaks member-only text of content/posts/plus{n}.md" in report for n in range(6)), report
    assert taken == [6 if finished else 3]


def test_no_room_for_the_posts_texts_leaves_the_audit_to_shingle_them(write_site: Callable[..., Path],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    import tearsheet.member_shingles as members

    site, sentences = plus_site(write_site, 3)
    monkeypatch.setattr(members, "AHEAD_MIN_POSTS", 1)
    started = []

    def full_disk() -> object:
        started.append(True)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(members.tempfile, "TemporaryFile", full_disk)
    (site / "static").mkdir()
    (site / "static" / "notes.txt").write_text(" ".join(sentences), encoding="utf-8")
    with pytest.raises(SiteError) as caught:
        build(site, jobs=2)
    assert started  # it was tried
    report = caught.value.report()
    assert all(f"leaks member-only text of content/posts/plus{n}.md" in report for n in range(3)), report


# The audit on a child: a build that renders few pages audits its public tree while it makes the members site

@pytest.fixture
def unsearched(write_site: Callable[..., Path]) -> Path:
    """The site of these tests without a search index: its public tree is whole before the members site is made."""
    site = write_site({MEMBER_PATH: PLUS, "content/posts/free.md": FREE}, MINIMAL_TOML + "\n[search]\nenabled = false\n")
    (site / "static").mkdir(exist_ok=True)
    build(site)  # the first audit leaves its memory: later builds may audit on a child
    return site


def audited_here(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The public trees audited in this process from now on (not those a forked child audits)."""
    audited: list[str] = []
    real = tearsheet.audit.audit_tree

    def counting(public_dir: str, *args: object, **kwargs: object) -> object:
        audited.append(public_dir)
        return real(public_dir, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("tearsheet.audit.audit_tree", counting)
    return audited


def plant_leak(site: Path) -> None:
    (site / "static" / "notes.txt").write_text(f"Desk notes: {MEMBER}\n", encoding="utf-8")


LEAK_REPORT = f'public/assets/notes.txt: leaks member-only text of {MEMBER_PATH}: "our desk expects'


def test_a_one_edit_build_audits_on_a_child_and_a_leak_still_stops_it(unsearched: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    here = audited_here(monkeypatch)
    free = unsearched / "content" / "posts" / "free.md"
    free.write_text(free.read_text() + "\nOne more free sentence about the dollar and the curve today.\n")
    build(unsearched)
    assert here == []  # the child audited it
    before = read_tree(unsearched / "output")
    plant_leak(unsearched)
    report = leak_error(unsearched)
    assert LEAK_REPORT in report and "it is static/notes.txt" in report
    assert here == [] and read_tree(unsearched / "output") == before  # the child's verdict stopped the swap
    (unsearched / "static" / "notes.txt").unlink()
    build(unsearched)  # fixed: the memory the child's failed audit left does not stop the next build
    assert here == []


def test_when_the_audit_child_dies_the_build_audits_the_tree_itself(unsearched: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    parent, real = os.getpid(), tearsheet.audit.audit_input

    def dying(*args: object, **kwargs: object) -> object:
        if os.getpid() != parent:
            os._exit(1)  # the child dies mid-audit, as one killed or out of memory would
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("tearsheet.audit.audit_input", dying)
    here = audited_here(monkeypatch)
    plant_leak(unsearched)
    assert LEAK_REPORT in leak_error(unsearched)
    assert here and set(here) == {here[0]}  # this process audited the staged tree (a hit: twice, the 2nd afresh)


def test_a_public_tree_staged_again_after_the_child_forked_is_audited_by_the_build(
        unsearched: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = tearsheet.audit_fork.AuditAhead.__init__

    def then_restaged(ahead: tearsheet.audit_fork.AuditAhead, stage: Stage, *args: object) -> None:
        real(ahead, stage, *args)  # type: ignore[arg-type]
        stage.record("public", "robots.txt", "not what the child read", None)  # the tree it read is not the one staged

    monkeypatch.setattr("tearsheet.audit_fork.AuditAhead.__init__", then_restaged)
    here = audited_here(monkeypatch)
    plant_leak(unsearched)
    assert LEAK_REPORT in leak_error(unsearched)
    assert here and set(here) == {here[0]}  # this process audited the staged tree (a hit: twice, the 2nd afresh)


def test_a_build_that_renders_many_public_pages_audits_in_process(unsearched: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tearsheet.build.FEW_PAGES", 0)  # the free post's page is one too many
    here = audited_here(monkeypatch)
    free = unsearched / "content" / "posts" / "free.md"
    free.write_text(free.read_text() + "\nOne more free sentence about the dollar and the curve today.\n")
    build(unsearched)
    assert len(here) == 1


def test_ctrl_c_while_the_build_waits_for_the_childs_verdict_keeps_the_output_and_leaves_no_process(
        unsearched: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before, children = read_tree(unsearched / "output"), child_processes()

    class Interrupted(tearsheet.forked.ForkedCall):  # type: ignore[type-arg]
        def result(self) -> None:
            raise KeyboardInterrupt  # Ctrl-C as the build waits: the child is still auditing

    monkeypatch.setattr("tearsheet.audit_fork.ForkedCall", Interrupted)
    free = unsearched / "content" / "posts" / "free.md"
    free.write_text(free.read_text() + "\nOne more free sentence about the dollar and the curve today.\n")
    with pytest.raises(KeyboardInterrupt):
        build(unsearched)
    assert read_tree(unsearched / "output") == before
    assert sorted(os.listdir(unsearched / "output")) == ["members", "public"]  # no staging folder left
    assert child_processes() == children  # the child is ended, and reaped


def test_a_site_whose_audit_memory_is_large_audits_in_process(unsearched: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tearsheet.audit_fork.MAX_MEMORY", 1000)  # bytes: this site's memory is larger
    here = audited_here(monkeypatch)
    plant_leak(unsearched)
    assert LEAK_REPORT in leak_error(unsearched)
    assert here and set(here) == {here[0]}
