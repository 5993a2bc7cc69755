"""The text of the files a site publishes, as a reader would get it, for the paywall audit.

Plain text in UTF-8 or UTF-16/32 (Excel's "Unicode Text", Notepad's "Unicode"); RTF; PDFs (pdfs.py); the
zipped XML of word processors, spreadsheets, slides and e-books (DOCX, XLSX, PPTX, ODT, ODS, ODP, EPUB);
and archives (zip, tar), each file in them read the same way; gzip, bzip2, xz, lzma, zstd and LZ4 undone
first. A writer links "the full note as a PDF" or "the data pack (zip)" from a teaser, and it is on the
public site with every word of the essay in it: the audit must read it as a reader would.

The text comes out as HTML-ish bytes, a <p> per paragraph, so that shingles stay inside a paragraph as
they do in pages. What cannot be read (an old binary Office file, a PDF locked with a password, an
archive of a kind or version Python does not read) raises UnreadableDocument: the audit fails rather
than pass a file it could not search.
"""

from __future__ import annotations

import base64
import bz2
import codecs
import contextlib
import email
import email.header
import email.policy
import functools
import html
import importlib
import io
import lzma
import re
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from xml.parsers import expat

PDF_MAGIC = b"%PDF-"
PDF_MAGIC_WITHIN = 1024  # bytes a PDF's header may come after (as readers allow)
ZIP_MAGIC = b"PK\x03\x04"
GZIP_MAGIC = b"\x1f\x8b"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97-2003, Excel 97-2003, PowerPoint 97-2003, Outlook
UTF_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe", "utf-16-le"),
            (b"\xfe\xff", "utf-16-be"))
HEAD_BYTES = 8192  # a NUL byte in these marks a binary file (an image), unless it is UTF-16 text
MAX_ARCHIVE_BYTES = 64_000_000  # of an archive's files, read at most: a zip bomb is not read to the end
MAX_DEPTH = 4  # archives within archives read
HTML_PARTS = (".xhtml", ".html", ".htm")  # an e-book's chapters: HTML, which the audit reads as pages
# Elements of word-processor and slide XML that hold a paragraph, and those that stand for a space
PARAGRAPHS = frozenset({"p", "h", "li", "td", "th", "title", "h1", "h2", "h3", "h4", "h5", "h6", "caption"})
SPACES = frozenset({"br", "tab", "cr", "line-break", "s", "c", "si", "is", "v", "soft-page-break"})


class UnreadableDocument(Exception):
    """A file the audit cannot read, with why and what to do."""

    def __init__(self, why: str, hint: str) -> None:
        super().__init__(why)
        self.hint = hint


def is_pdf(data: bytes) -> bool:
    return PDF_MAGIC in data[:PDF_MAGIC_WITHIN]


def is_tar(data: bytes) -> bool:
    """A tar archive: a POSIX or GNU one ("ustar" in its first header), or an old V7 one, known by its first
    header's checksum (the sum of its bytes, the checksum's own eight counted as spaces)."""
    if len(data) < 512:
        return False
    if data[257:262] == b"ustar":
        return True
    field = data[148:156].split(b"\0", 1)[0].strip()
    if not data[0] or not field or field.strip(b"01234567"):
        return False
    header = data[:512]
    return int(field, 8) == sum(header) - sum(header[148:156]) + 8 * ord(" ")


def document_text(name: str, data: bytes, depth: int = 0, budget: list[int] | None = None) -> bytes | None:
    """The text of one file, as UTF-8 bytes; None for a file with none (a picture, a font: see binary_text).
    Gzip, bzip2, xz, lzma, zstd and LZ4 are undone first, whatever the file's name (a .tar.gz, a .csv.xz).
    `budget` ([bytes]) is what the archives it is in may still unpack, shared by all of them:
    MAX_ARCHIVE_BYTES for a file of its own.

    Raises UnreadableDocument; ImportError for a PDF without pypdf.
    """
    budget = [MAX_ARCHIVE_BYTES] if budget is None else budget
    data = decompressed(data, budget)
    for magic, kind in UNREADABLE_ARCHIVES:
        if data.startswith(magic):
            raise UnreadableDocument(f"it is a {kind}, which the audit cannot unpack",
                                     "publish a zip or a .tar.gz instead")
    # archives first: a tar or a stored zip whose first file is a PDF has "%PDF-" near its start too
    if data.startswith(ZIP_MAGIC):
        return zip_text(data, depth, budget)
    if is_tar(data):
        return tar_text(data, depth, budget)
    if data.startswith(OLE_MAGIC):
        if depth:  # in a zip: an Office file's macros or embedded object, a Thumbs.db, a .doc: its strings
            return binary_text(data)  # (a .doc keeps its text as plain 8-bit or UTF-16 runs)
        raise UnreadableDocument("it is a Word, Excel or PowerPoint file of the old binary kind (.doc, .xls, .ppt)",
                                 "save it as .docx, .xlsx, .pptx or PDF, which the audit reads")
    if data.startswith(RTF_MAGIC):
        return rtf_text(data)
    if is_mime(name, data):
        try:
            return mime_text(data, depth, budget)
        except UnreadableDocument:
            raise
        except Exception as exc:  # the standard library's parser, on a message past its limits (nesting, say)
            raise UnreadableDocument(f"cannot read it as an e-mail ({one_line(exc)})",
                                     "publish its text and attachments as files of their own") from None
    if is_pdf(data):
        from .pdfs import pdf_text  # here: it reads files as this module does (its attachments)

        try:
            return pdf_text(data, depth, budget)
        except UnreadableDocument:
            if data.lstrip().startswith(PDF_MAGIC):
                raise
            # a page that only mentions "%PDF-" near its start: read as text below
    return unicode_text(data)


COMPRESSED = ((GZIP_MAGIC, zlib.decompressobj, {"wbits": 47}),  # gzip (47: gzip or zlib headers, as gzip reads)
              (b"BZh", bz2.BZ2Decompressor, {}), (b"\xfd7zXZ\x00", lzma.LZMADecompressor, {}),
              (b"\x5d\x00\x00", lzma.LZMADecompressor, {"format": lzma.FORMAT_ALONE}),  # .lzma (`lzma`, old 7-Zip)
              *((header, zlib.decompressobj, {"wbits": 47}) for header in (b"\x78\x01", b"\x78\x5e", b"\x78\x9c",
                                                                           b"\x78\xda")))  # zlib without gzip's header
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
LZ4_MAGIC = b"\x04\x22\x4d\x18"
# Compressions undone with a module Python may not have: (magic bytes, name, the module to install)
OPTIONAL = ((ZSTD_MAGIC, "zstd", "zstandard"), (LZ4_MAGIC, "LZ4", "lz4"))
UNREADABLE_ARCHIVES = ((b"7z\xbc\xaf\x27\x1c", "7z archive"), (b"Rar!\x1a\x07", "RAR archive"),
                       (b"\x1f\x9d", "file compressed with Unix compress (.Z)"))  # no module in Python reads them


def decompressed(data: bytes, budget: list[int] | None = None) -> bytes:
    """Data with gzip, zlib, bzip2, xz, lzma, zstd and LZ4 undone (COMPRESSED, OPTIONAL), up to three layers,
    to at most the budget (MAX_ARCHIVE_BYTES: a bomb is not unpacked to the end, UnreadableDocument). Data
    that only starts like them is kept as it is."""
    budget = [MAX_ARCHIVE_BYTES] if budget is None else budget
    for _ in range(3):
        unpack = _unpacker(data)
        if unpack is None:
            return data
        try:
            unpacked = unpack(data, budget[0])
        except UnreadableDocument:
            raise
        except Exception:  # each library has errors of its own: not what its first bytes said, so read as it is
            return data
        if unpacked is None:
            raise _too_big()
        budget[0] -= len(unpacked)
        data = unpacked
    return data


def _unpacker(data: bytes) -> Callable[[bytes, int], bytes | None] | None:
    """How to undo the compression data starts with, if any (see _unpack_stream); UnreadableDocument when
    it needs a module that is not installed."""
    for magic, make, options in COMPRESSED:
        if data.startswith(magic):
            return functools.partial(_unpack_stream, magic, make, options)
    for magic, name, module in OPTIONAL:
        if data.startswith(magic):
            unpack = _zstd_unpacker() if magic == ZSTD_MAGIC else _lz4_unpacker()
            if unpack is None:
                raise UnreadableDocument(f"it is compressed with {name}, and no {module} module is installed to "
                                         "undo it", f"pip install {module} (the audit fails rather than skip a file)")
            return unpack
    return None


def _zstd_unpacker() -> Callable[[bytes, int], bytes | None] | None:
    with contextlib.suppress(ImportError):
        from compression import zstd  # type: ignore[import-not-found]  # Python 3.14

        return functools.partial(_unpack_stream, ZSTD_MAGIC, zstd.ZstdDecompressor, {})
    with contextlib.suppress(ImportError):
        import zstandard  # type: ignore[import-not-found]

        return functools.partial(_read_zstd, zstandard)
    return None


def _lz4_unpacker() -> Callable[[bytes, int], bytes | None] | None:
    with contextlib.suppress(ImportError):
        import lz4.frame  # type: ignore[import-not-found]

        return functools.partial(_unpack_stream, LZ4_MAGIC, lz4.frame.LZ4FrameDecompressor, {})
    return None


ZSTD_FEED = 256  # bytes of a zstd frame given to its decompressor at a time: they make at most 8 MB


def _read_zstd(zstandard: Any, data: bytes, limit: int) -> bytes | None:
    """What zstandard's reader makes of data, every frame; None past the limit. Where it fails (bytes
    after the last frame that are not one: it then gives nothing at all), the frames one by one, as
    `zstd -d` shows them before it stops."""
    out: list[bytes] = []
    size = 0
    with zstandard.ZstdDecompressor().stream_reader(data, read_across_frames=True) as stream:
        try:
            while chunk := stream.read(1 << 20):
                size += len(chunk)
                out.append(chunk)
                if size > limit:
                    return None
        except Exception:
            frames = _zstd_frames(zstandard, data, limit)
            if frames is None or len(frames) > size:
                return frames
            if not out:
                raise
    return b"".join(out)


def _zstd_frames(zstandard: Any, data: bytes, limit: int) -> bytes | None:
    """The zstd frames at the start of data undone one by one, until what follows is not a frame; None past
    the limit. Each is fed ZSTD_FEED bytes at a time: a frame of repeated bytes (RLE blocks of 4 bytes,
    each making 128 KB) makes 32,768 times its size, so one call makes at most 8 MB."""
    out: list[bytes] = []
    size = 0
    while data.startswith(ZSTD_MAGIC):
        frame = zstandard.ZstdDecompressor().decompressobj()
        at = 0
        try:
            while not frame.eof and at < len(data):
                chunk = frame.decompress(data[at : at + ZSTD_FEED])
                at += ZSTD_FEED
                size += len(chunk)
                out.append(chunk)
                if size > limit:
                    return None
        except zstandard.ZstdError:  # damaged: what it gave
            break
        if not frame.eof:
            break  # cut short
        data = frame.unused_data + data[at:]
    return b"".join(out)


def unbrotli(data: bytes, budget: list[int] | None = None) -> bytes:
    """A .br file's data undone (brotli has no magic bytes: it is known by its name), to at most the budget
    (MAX_ARCHIVE_BYTES); data that is not brotli is kept as it is. UnreadableDocument past the budget, or
    when no brotli module is installed."""
    brotli = brotli_module()
    if brotli is None:
        raise UnreadableDocument("it is compressed with brotli, and no brotli module is installed to undo it",
                                 "pip install brotli (the audit fails rather than skip a file)")
    budget = [MAX_ARCHIVE_BYTES] if budget is None else budget
    decompressor = brotli.Decompressor()
    if not hasattr(decompressor, "can_accept_more_data"):  # before brotli 1.1: cannot cap what a step makes
        raise UnreadableDocument("the installed brotli module is too old to unpack it safely",
                                 "pip install --upgrade brotli (1.1 or later)")
    out: list[bytes] = []
    size = 0
    try:
        for at in range(0, len(data), BROTLI_FEED):  # fed a little at a time, drained within the budget
            piece = data[at : at + BROTLI_FEED]
            while True:
                # at most about this much a step (it holds the rest for the next)
                part = decompressor.process(piece, output_buffer_limit=max(budget[0] - size + 1, 1))
                out.append(part)
                size += len(part)
                if size > budget[0]:
                    raise _too_big()
                if not part or decompressor.can_accept_more_data():
                    break
                piece = b""  # the rest of what it holds, before more input
        if not decompressor.is_finished():
            return data
    except UnreadableDocument:
        raise
    except Exception:  # brotli's own error: not brotli after all, so read as it is
        return data
    budget[0] -= size
    return b"".join(out)


BROTLI_FEED = 65536  # input bytes given to the decompressor at once


def brotli_module():  # type: ignore[no-untyped-def]
    """The brotli module (or brotlicffi, its twin), None when neither is installed."""
    for name in ("brotli", "brotlicffi"):
        with contextlib.suppress(ImportError):
            return importlib.import_module(name)
    return None


def _too_big() -> UnreadableDocument:
    return UnreadableDocument(f"it unpacks to more than {MAX_ARCHIVE_BYTES // 1_000_000} MB",
                              "publish it uncompressed, or in smaller files")


def _deflated(data: bytes, limit: int) -> bytes | None:
    """A gzip member's deflated data undone without its checksum checked, as zcat shows a damaged file
    before it says so; None past the limit. ValueError if its header is cut short."""
    flags, at = data[3], 10
    if flags & 4:  # FEXTRA: a length, then that many bytes
        at += 2 + int.from_bytes(data[at : at + 2], "little")
    for flag in (8, 16):  # FNAME, FCOMMENT: each ends with a NUL
        if flags & flag:
            at = data.index(b"\x00", at) + 1
    if flags & 2:  # FHCRC
        at += 2
    text = zlib.decompressobj(-15).decompress(data[at:], limit + 1)
    return None if len(text) > limit else text


MAX_MEMBERS = 1000  # compressed streams one after another (gzip -c a b > ab.gz) read: each costs a copy of the rest


def _unpack_stream(magic: bytes, make: Any, options: dict[str, Any], data: bytes, limit: int) -> bytes | None:
    """What a decompressor makes of data, and of the members after it (gzip -c a b > ab.gz); None past the
    limit. A stream cut short gives what it holds; bytes after the last member are left (padding)."""
    out: list[bytes] = []
    size = 0
    for _ in range(MAX_MEMBERS):
        if not data.startswith(magic):
            return b"".join(out)
        unpacker = make(**options)
        pending = data
        try:
            while not unpacker.eof:
                chunk = unpacker.decompress(pending, max(limit + 1 - size, 1))
                size += len(chunk)
                out.append(chunk)
                if size > limit:
                    return None
                pending = getattr(unpacker, "unconsumed_tail", b"")  # zlib keeps what it had no room to unpack
                if not chunk and not pending and getattr(unpacker, "needs_input", True):
                    break  # cut short
        except Exception:  # damaged (a bad checksum at its end, say): what it gave, as zcat shows it
            if not out and magic == GZIP_MAGIC:  # zlib gives nothing of a member whose checksum is wrong
                return _deflated(data, limit)
            if out:
                return b"".join(out)
            raise
        if not unpacker.eof:
            return b"".join(out)
        data = (unpacker.unused_data or b"").lstrip(b"\x00")  # (LZ4's is None when there is none)
    raise UnreadableDocument(f"it holds more than {MAX_MEMBERS} compressed streams one after another",
                             "compress it as one stream")


MIME_SUFFIXES = (".eml", ".mht", ".mhtml", ".mime")  # an e-mail edition of a note, a page saved as one file
MIME_HEADERS = re.compile(rb"(?:[!-9;-~]+:[^\r\n]*\r?\n(?:[ \t][^\r\n]*\r?\n)*)*?mime-version:", re.IGNORECASE)


def is_mime(name: str, data: bytes) -> bool:
    """An e-mail or a MIME archive: by its name, or by a MIME-Version among the header lines it starts with."""
    return name.lower().endswith(MIME_SUFFIXES) or bool(MIME_HEADERS.match(data, 0, HEAD_BYTES))


MAX_PARTS = 10_000  # of an e-mail: Python's parser makes an object of each, a few hundred bytes of text


def mime_text(data: bytes, depth: int = 0, budget: list[int] | None = None) -> bytes | None:
    """The text of an e-mail or MIME archive: the file as it stands (a page that only starts like an e-mail
    shows its text as written; a preamble holds words too), its subject and every part decoded (base64,
    quoted-printable), each read as document_text reads files (its text in its charset, in UTF-8)."""
    if data.count(b"\n--") > MAX_PARTS:
        raise UnreadableDocument(f"it is an e-mail of more than {MAX_PARTS} parts", "publish its parts as files")
    message = email.message_from_bytes(data, policy=email.policy.compat32)
    budget = [MAX_ARCHIVE_BYTES] if budget is None else budget
    texts = [unicode_text(data), html.escape(str(email.header.make_header(email.header.decode_header(
        message.get("subject", ""))))).encode("utf-8", "replace")]
    for number, part in enumerate(message.walk()):
        encoding = part.get("content-transfer-encoding")
        if encoding is not None and encoding != encoding.strip():  # ("base64 ": mail programs read it as base64)
            part.replace_header("content-transfer-encoding", encoding.strip())
        if part.get_content_type() == "message/rfc822" and str(encoding).strip().lower() == "base64":
            with contextlib.suppress(ValueError):  # (damaged base64: its parts are read as they are)
                texts.append(mime_text(base64.b64decode(part.get_payload(0).as_bytes()), depth + 1, budget))
                continue  # a forwarded e-mail sent in base64: Python's parser takes the base64 for the e-mail
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        if len(payload) > budget[0]:
            raise _too_big()
        budget[0] -= len(payload)
        charset = part.get_content_charset() if part.get_content_maintype() == "text" else None
        if charset and _known(charset) and codecs.lookup(charset).name != "utf-8":
            payload = payload.decode(charset, "replace").encode("utf-8", "replace")
        if depth >= MAX_DEPTH:
            raise UnreadableDocument("it holds files within files too deep to read", "publish its files one by one")
        texts.append(document_text(part.get_filename() or f"part{number}", payload, depth + 1, budget))
    found = [text for text in texts if text]
    return b"\n<p>\n".join(found) if found else None


def unicode_text(data: bytes) -> bytes | None:
    """Text as UTF-8: UTF-16 and UTF-32 decoded (by their byte-order mark, or UTF-16 by its NULs between
    ASCII letters); None for binary data."""
    for bom, encoding in UTF_BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, "replace").encode("utf-8", "replace")
    head = data[:HEAD_BYTES]
    if b"\x00" not in head:
        return data if data.isascii() or _is_utf8(data) else _from_cp1252(data)
    for encoding, width, letter_at in (("utf-32-le", 4, 0), ("utf-32-be", 4, 3), ("utf-16-le", 2, 0),
                                       ("utf-16-be", 2, 1)):
        middle = len(data) // 2 // width * width
        end = len(data) - len(data) % width
        windows = [head, data[middle : middle + HEAD_BYTES], data[max(end - HEAD_BYTES, 0) : end]]
        if all(_wide_text(window, width, letter_at) for window in windows if len(window) > 16):
            return data.decode(encoding, "replace").encode("utf-8", "replace")
    return binary_text(data)


DECODED_AT_ONCE = 1_000_000  # bytes of a text checked or decoded at a time: a long text's decoding stays small


def _is_utf8(data: bytes) -> bool:
    """Whether the bytes are UTF-8 text, checked a slice at a time (a str of a whole 64 MB text would be 64-256 MB)."""
    check = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), DECODED_AT_ONCE):
            check.decode(data[start : start + DECODED_AT_ONCE])
        check.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _cp1252_bytes(error: UnicodeError) -> tuple[str, int]:
    """Decoding error handler: what is not UTF-8 is read in Windows' code page 1252."""
    assert isinstance(error, UnicodeDecodeError)
    return error.object[error.start : error.end].decode("cp1252", "replace"), error.end


codecs.register_error("tearsheet-cp1252", _cp1252_bytes)


def _from_cp1252(data: bytes) -> bytes:
    """A text with bytes that are not UTF-8, as UTF-8: those bytes taken for Windows' code page 1252, as an
    old Notepad or Excel saved text (its curly quotes and dashes are bytes 0x91-0x97, which are not UTF-8
    alone). Read as they are, they glued the words around them into one. UTF-8 in the same text stays."""
    decode = codecs.getincrementaldecoder("utf-8")("tearsheet-cp1252")
    pieces = [decode.decode(data[start : start + DECODED_AT_ONCE]).encode("utf-8", "replace")
              for start in range(0, len(data), DECODED_AT_ONCE)]
    return b"".join([*pieces, decode.decode(b"", final=True).encode("utf-8", "replace")])


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PNG_TEXT_BYTES = 4_000_000  # of a PNG's compressed texts, undone at most: a bomb in each chunk is not undone
JPEG_MAGIC = b"\xff\xd8\xff"
# Pictures, sound, video and fonts: their text, if any, is a title or a caption a tool put there, and
# reading them through would cost more than it is worth (PNG's, JPEG's and TIFF's texts are read: see binary_text)
MEDIA_MAGIC = (b"GIF8", b"RIFF", b"\x1aE\xdf\xa3", b"ID3", b"\xff\xfb", b"OggS", b"fLaC", b"wOFF", b"wOF2",
               b"\x00\x01\x00\x00", b"OTTO", b"true", b"\x00\x00\x01\x00", b"\x00asm", b"BM", b"8BPS")
# A run of text in a binary file: printable ASCII and the bytes of UTF-8 letters (a database's rows, a
# property list's strings); 24 bytes or more, so that compressed data yields little
TEXT_RUN = re.compile(rb"[\t\n\r\x20-\x7e\x80-\xbf\xc2-\xf4]{24,}")
# The same in UTF-16, little- and big-endian (an .xlsb's strings, a property list's): ASCII, Latin-1, and
# the punctuation of U+2010-U+203A (curly quotes, dashes, ellipsis)
WIDE_RUN = re.compile(rb"(?:[\t\n\r\x20-\x7e\xa0-\xff]\x00|[\x10-\x3a]\x20){24,}")
WIDE_RUN_BE = re.compile(rb"(?:\x00[\t\n\r\x20-\x7e\xa0-\xff]|\x20[\x10-\x3a]){24,}")


def binary_text(data: bytes) -> bytes | None:
    """The text a binary file holds, as a tool that lists its strings shows it: each run of text apart
    (a database's rows, an archived web page in a property list, a binary workbook's strings in UTF-16).
    A PNG's and a JPEG's texts (a chart's description, a caption) are read from their text chunks and
    segments; other pictures, sound, video and fonts not at all."""
    if data.startswith(PNG_MAGIC):
        texts = list(_png_texts(data))
    elif data.startswith(JPEG_MAGIC):
        texts = [run for segment in _jpeg_segments(data) for run in _strings(segment, len(segment) or 1)]
    elif data.startswith(TIFF_MAGIC):
        texts = [run for value in _tiff_values(data) for run in _strings(value, len(value) or 1)]
    elif (data[4:8] == b"ftyp" or data.startswith(MEDIA_MAGIC)) and not data.startswith(b"Standard ", 4):
        return None  # (an Access database starts like a font, then names itself)
    else:
        texts = _strings(data)
    return b"\n<p>\n".join(texts) if texts else None


def _strings(data: bytes, block: int = 65536) -> list[bytes]:
    """The runs of text in binary data, UTF-8 (TEXT_RUN) and UTF-16 (see _wide_runs, by blocks of `block`)."""
    return [*TEXT_RUN.findall(data), *_wide_runs(data, block)]


def _wide_runs(data: bytes, block: int = 65536) -> Iterator[bytes]:
    """The UTF-16 runs (WIDE_RUN, WIDE_RUN_BE) as UTF-8, sought only in blocks that are a hundredth NUL bytes
    or more (UTF-16 text is half; compressed data a 256th), each with its neighbours' edges: scanning every
    byte for them takes three times as long."""
    edge = 2 * 256  # a run is cut where it is longer than an edge: its words are found all the same
    for start in range(0, len(data), block):
        if data.count(b"\x00", start, start + block) * 100 >= min(block, len(data) - start):
            for pattern, encoding in ((WIDE_RUN, "utf-16-le"), (WIDE_RUN_BE, "utf-16-be")):
                for run in pattern.findall(data, max(start - edge, 0), start + block + edge):
                    yield run[: len(run) // 2 * 2].decode(encoding, "replace").encode()


def _png_texts(data: bytes) -> Iterator[bytes]:
    """The texts of a PNG's tEXt, zTXt and iTXt chunks (compressed ones undone, PNG_TEXT_BYTES in all)."""
    at = len(PNG_MAGIC)
    budget = [PNG_TEXT_BYTES]
    while at + 8 <= len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        kind, chunk = data[at + 4 : at + 8], data[at + 8 : at + 8 + size]
        at += 12 + size
        _keyword, _, text = chunk.partition(b"\x00")
        if kind == b"tEXt":
            yield text.decode("latin-1").encode("utf-8")
        elif kind == b"eXIf":  # a description, a comment (Windows keeps its own in UTF-16)
            yield from _strings(chunk, len(chunk) or 1)
        elif kind == b"zTXt":
            yield _inflated(text[1:], budget).decode("latin-1").encode("utf-8")
        elif kind == b"iTXt" and len(text) >= 2:
            _language, _, rest = text[2:].partition(b"\x00")
            _translated, _, text_part = rest.partition(b"\x00")
            yield _inflated(text_part, budget) if text[0] else text_part
        elif kind == b"IEND":
            return


def _inflated(data: bytes, budget: list[int]) -> bytes:
    """Zlib data undone, up to what is left of the budget (a picture's texts are short); b"" if damaged."""
    if budget[0] <= 0:
        return b""
    try:
        text = zlib.decompressobj().decompress(data, budget[0])
    except zlib.error:
        return b""
    budget[0] -= len(text)
    return text


TIFF_MAGIC = (b"II*\x00", b"MM\x00*")
TIFF_TEXT_TYPES = frozenset({1, 2, 7})  # BYTE, ASCII, UNDEFINED: the types a description, XMP or a comment has
TIFF_IFD_POINTERS = {330, 34665, 34853, 40965}  # SubIFDs, EXIF, GPS, interoperability
TIFF_MAX_IFDS = 64  # directories read at most: a loop or a bomb of them is not followed to the end
TIFF_MAX_ENTRIES = 4096  # tags read of one directory at most (a picture has some dozens)


def _tiff_values(data: bytes) -> Iterator[bytes]:
    """The byte and text values of a TIFF's tags, in every directory it links (its description, artist,
    XMP, EXIF comment, Windows' title and comment in UTF-16): the picture's own data is elsewhere. No more
    bytes than the file holds are given, however its values overlap."""
    order = "little" if data.startswith(b"II") else "big"
    budget = len(data)

    def number(at: int, size: int) -> int:
        return int.from_bytes(data[at : at + size], order)

    todo, seen = [number(4, 4)], set()
    while todo and len(seen) < TIFF_MAX_IFDS:
        at = todo.pop()
        if at in seen or not 8 <= at < len(data) - 2:
            continue
        seen.add(at)
        count = min(number(at, 2), TIFF_MAX_ENTRIES)
        for entry in range(at + 2, min(at + 2 + 12 * count, len(data) - 11), 12):
            tag, kind, length = number(entry, 2), number(entry + 2, 2), number(entry + 4, 4)
            if tag in TIFF_IFD_POINTERS and kind in (4, 13):  # LONG or IFD: a directory's offset
                todo.append(number(entry + 8, 4))
            elif kind in TIFF_TEXT_TYPES and length >= 8:  # (4 bytes or fewer would be in the entry itself)
                start = number(entry + 8, 4)
                value = data[start : start + min(length, budget)]
                budget -= len(value)
                yield value
                if budget <= 0:
                    return
        todo.append(number(at + 2 + 12 * count, 4))


# A comment or application segment's marker: in a JPEG's picture data an 0xFF byte is followed by 0x00 or
# a restart marker, so these bytes there start a segment (a tool may write its comment after the scan)
LATE_SEGMENT = re.compile(rb"\xff[\xe0-\xef\xfe]")


def _jpeg_segments(data: bytes) -> Iterator[bytes]:
    """A JPEG's comment and application segments (EXIF, XMP: a caption, a description): those before its
    picture data, then any after it."""
    at = 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        size = int.from_bytes(data[at + 2 : at + 4], "big")
        if marker == 0xDA:  # the picture itself follows
            break
        if marker == 0xFE or 0xE0 <= marker <= 0xEF:
            yield data[at + 4 : at + 2 + size]
        at += 2 + size
    for late in LATE_SEGMENT.finditer(data, at + 2):
        size = int.from_bytes(data[late.end() : late.end() + 2], "big")
        yield data[late.end() + 2 : late.end() + size]


def _wide_text(window: bytes, width: int, letter_at: int) -> bool:
    """Mostly ASCII text, NULs beside each letter (UTF-16 or UTF-32): at the start, the middle and the end
    of the file alike (not an image or a sound that starts with zeros)."""
    window = window[: len(window) - len(window) % width]
    letters = window[letter_at::width]
    others = len(window) - len(letters) - (window.count(0) - letters.count(0))  # bytes beside letters not NUL
    return others < 0.1 * len(letters) and _printable(letters) > 0.9 * len(letters)


def _printable(data: bytes) -> int:
    """How many bytes are printable ASCII or whitespace."""
    return len(data) - len(data.translate(None, PRINTABLE))


PRINTABLE = bytes([9, 10, 13, *range(32, 127)])


def zip_text(data: bytes, depth: int = 0, budget: list[int] | None = None) -> bytes | None:
    """The text of every file in a zip: a document's XML parts (DOCX, XLSX, PPTX, ODF) and HTML (EPUB), and
    any other file as document_text reads it (a note, a PDF, a zip in the zip)."""
    def members() -> Iterator[tuple[str, Any]]:
        archive = zipfile.ZipFile(io.BytesIO(data))
        for entry in archive.infolist():
            if not entry.is_dir():
                with archive.open(entry) as handle:
                    yield entry.filename, handle

    return _archive_text(members(), depth, budget, "pack it again as an ordinary zip without a password")


def tar_text(data: bytes, depth: int = 0, budget: list[int] | None = None) -> bytes | None:
    """The text of every file in a tar archive (a .tar.gz is unpacked before it comes here)."""
    def members() -> Iterator[tuple[str, Any]]:
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            for member in archive:
                if member.type not in tarfile.SUPPORTED_TYPES:  # GNU tar extracts a type it does not know as a file
                    member.type = tarfile.REGTYPE
                handle = archive.extractfile(member) if member.isfile() else None
                if handle is not None:
                    yield member.name, handle

    return _archive_text(members(), depth, budget, "pack it again")


def _archive_text(members: Iterator[tuple[str, Any]], depth: int, budget: list[int] | None,
                  hint: str) -> bytes | None:
    """The texts of an archive's files (name, open file), apart; UnreadableDocument for one Python cannot
    unpack (damaged, encrypted, a method or version it does not read)."""
    budget = [MAX_ARCHIVE_BYTES] if budget is None else budget
    try:
        found = [_part_text(name, _read_within(handle, budget), depth, budget) for name, handle in members]
    except UnreadableDocument:
        raise
    except Exception as exc:
        raise UnreadableDocument(f"cannot unpack it ({one_line(exc)})", hint) from None
    texts = [text for text in found if text]
    return b"\n<p>\n".join(texts) if texts else None


def _read_within(handle: Any, budget: list[int]) -> bytes:
    """A file of an archive, whole, taken from the budget; UnreadableDocument past it."""
    part = handle.read(budget[0] + 1)
    if len(part) > budget[0]:
        raise UnreadableDocument(f"its files unpack to more than {MAX_ARCHIVE_BYTES // 1_000_000} MB",
                                 "publish its files one by one")
    budget[0] -= len(part)
    return part


def _part_text(name: str, part: bytes, depth: int, budget: list[int]) -> bytes | None:
    lower = name.lower()
    if lower.endswith(".xml") or lower.endswith(".rels"):
        return xml_text(part)
    if lower.endswith(HTML_PARTS):
        return part  # the audit reads HTML as it reads pages
    if depth >= MAX_DEPTH:
        raise UnreadableDocument("it holds archives within archives too deep to read", "publish its files one by one")
    return document_text(name, part, depth + 1, budget)


def xml_text(part: bytes) -> bytes:
    """The text of word-processor, spreadsheet or slide XML: a paragraph's runs joined as a reader sees
    them (Word splits a sentence into runs, mid-word too), line breaks, tabs and cells as spaces. Read as
    a stream: the XML's size and depth cost no more than its text."""
    out: list[str] = []
    parser = expat.ParserCreate(namespace_separator="}")

    parser.StartElementHandler = lambda name, _attributes: out.append(_mark(name.rsplit("}", 1)[-1], False))
    parser.EndElementHandler = lambda name: out.append(_mark(name.rsplit("}", 1)[-1], True))
    parser.EntityDeclHandler = _no_entities
    parser.CharacterDataHandler = lambda text: out.append(html.escape(text))
    try:
        parser.Parse(part, True)
    except expat.ExpatError:
        return _loose_xml_text(part)  # damaged, or not XML after all
    return "".join(out).encode("utf-8", "replace")


def _mark(local: str, closing: bool) -> str:
    """What a tag of word-processor XML (its local name) stands for in the text: a paragraph's start or
    end, a space, or nothing (a run's edge: Word splits words across runs)."""
    local = local.lower()
    if local in PARAGRAPHS:
        return "</p>\n" if closing else "\n<p>"
    return " " if local in SPACES else ""


def _no_entities(*_declaration: object) -> None:
    """Office files declare no entities; a part that does could expand a few bytes into gigabytes."""
    raise UnreadableDocument("its XML declares entities, which Word, Excel and PowerPoint files never do",
                             "save it again from the program that made it")


XML_TAG = re.compile(rb"<(/?)([\w.:-]++)[^<>]*+>|<[!?][^<>]*+>")  # (possessive: a "<" never closed costs one pass)


def _loose_xml_text(part: bytes) -> bytes:
    """The text of XML that does not parse, read tag by tag as xml_text reads it: a paragraph's runs joined,
    paragraphs apart, its entities left for the audit to decode."""
    def tag(match: re.Match[bytes]) -> bytes:
        return _mark((match[2] or b"").rsplit(b":", 1)[-1].decode("ascii", "replace"), bool(match[1])).encode()

    return XML_TAG.sub(tag, part)


RTF_MAGIC = b"{\\rtf"
RTF_TOKEN = re.compile(rb"\\'([0-9a-fA-F]{2})|\\u(-?\d+) ?|\\([a-zA-Z]+)(-?\d+)? ?|\\(.)|([{}])|([^\\{}\r\n]+)",
                       re.DOTALL)
# Groups of an RTF file that hold no text a reader sees: tables of fonts, colours, styles, lists, revisions,
# the document's info (its title is in Word's File > Properties: read as text all the same), pictures.
RTF_SKIPPED = frozenset({b"fonttbl", b"colortbl", b"stylesheet", b"listtable", b"listoverridetable", b"rsidtbl",
                         b"generator", b"pict", b"themedata", b"colorschememapping", b"datastore", b"latentstyles",
                         b"xmlnstbl", b"filetbl", b"revtbl", b"pgdsctbl", b"objdata", b"fldinst", b"bkmkstart",
                         b"bkmkend"})
RTF_BREAKS = {b"par": "</p>\n<p>", b"sect": "</p>\n<p>", b"page": "</p>\n<p>", b"row": "</p>\n<p>",
              b"line": " ", b"tab": " ", b"cell": " ", b"emdash": "\u2014", b"endash": "\u2013", b"bullet": "\u2022",
              b"lquote": "\u2018", b"rquote": "\u2019", b"ldblquote": "\u201c", b"rdblquote": "\u201d"}


def rtf_text(data: bytes) -> bytes:
    """The text of an RTF file (TextEdit's, WordPad's, Word's): control words and the groups that hold no
    text left out, \\'hh and \\uN characters decoded, paragraphs apart. Word wraps every few words in a
    group of their own; the words stay one text here."""
    out: list[str] = ["<p>"]
    skipping: list[bool] = [False]  # per open group: whether its text is left out
    closing: list[str] = [""]  # per open group: what its end writes (the document's info: a paragraph apart)
    encoding = "cp1252"  # or the file's \\ansicpg, where Python knows it
    drop = 0  # characters after a \\uN that stand in for it in old readers
    for hex_char, unicode, word, number, symbol, brace, text in RTF_TOKEN.findall(data):
        if brace:
            if brace == b"{":
                skipping.append(skipping[-1])
                closing.append("")
            elif len(skipping) > 1:
                skipping.pop()
                out.append(closing.pop())
            continue
        if word:
            if word in RTF_SKIPPED:
                skipping[-1] = True
            elif word in (b"info", b"title", b"subject", b"keywords", b"author", b"comment", b"footnote"):
                out.append("</p>\n<p>")
                closing[-1] = "</p>\n<p>"
            elif word == b"ansicpg" and number.isdigit() and _known(f"cp{int(number)}"):
                encoding = f"cp{int(number)}"
            elif not skipping[-1] and word in RTF_BREAKS:
                out.append(RTF_BREAKS[word])
            continue
        if symbol == b"*":
            skipping[-1] = True  # an ignorable destination
            continue
        if skipping[-1]:
            continue
        if unicode:
            out.append(html.escape(chr(int(unicode) % 65536)))
            drop = 1
        elif hex_char:
            if drop:
                drop -= 1
                continue
            out.append(html.escape(bytes([int(hex_char, 16)]).decode(encoding, "replace")))
        elif symbol:
            out.append(html.escape({b"~": " ", b"-": "", b"_": "-"}.get(symbol, symbol.decode("latin-1"))))
        elif text:
            if drop:
                text, drop = text[1:], 0
            out.append(html.escape(text.decode(encoding, "replace")))
    out.append("</p>")
    return "".join(out).encode("utf-8", "replace")


def _known(encoding: str) -> bool:
    try:
        codecs.lookup(encoding)
    except LookupError:
        return False
    return True


def one_line(exc: Exception) -> str:
    """An exception as a short line for a message (a library's may run to several)."""
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:200]


def as_paragraphs(texts: Iterable[str]) -> bytes:
    return "".join(f"<p>{html.escape(text)}</p>\n" for text in texts if text).encode("utf-8", "replace")
