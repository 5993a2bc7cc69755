"""The public tree read back as shingles, for the paywall audit: every file, decompressed, blocks apart.

Files and long blocks the audit's memory has read before are skipped: their shingles are known.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from collections.abc import Iterator, Sequence

import numpy as np

from .documents import UnreadableDocument, document_text, unbrotli
from .errors import Problem
from .heap import trim_heap
from .shingles import (
    BREAK_HASH,
    BREAK_TOKEN,
    EMPTY,
    INLINE_TAG,
    TAG,
    SeenBlocks,
    hash_shingles,
    normal_tokens,
    sorted_unique,
    text_tokens,
    word_hashes,
)


def tree_files(root: str, inside: str = "") -> Iterator[str]:
    """Every file under root as a relative path with forward slashes, as os.walk finds them (a symbolic
    link to a folder is not followed, nor listed), in half its time: a tree of pages is a folder each."""
    try:
        entries = list(os.scandir(root))
    except OSError:  # gone or unreadable, as os.walk passes over it
        return
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if not is_dir:
            yield inside + entry.name
        elif not entry.is_symlink():
            yield from tree_files(entry.path, f"{inside}{entry.name}/")


FILE_KEY = 16  # bytes of a file's key: a digest of its name and bytes
FILE_END = np.array([BREAK_HASH], dtype=np.uint64)  # no shingle runs from one file into the next
BLOCK_KEY = 8  # bytes of a long block's key (see shingles.SeenBlocks)
READ_BATCH = 256  # files whose shingles are sorted and merged together
SLICE = 4_000_000  # bytes of a file's text read at a time (see token_runs)
OVERLAP = 4096  # bytes each slice shares with the last: more than any run of 8 words
BIG_RUN = 250_000  # words of a file (or slice) shingled on their own rather than with the batch

# public folder, known bodies (packed, as render.pack makes them), label, keys of the files and of the long
# blocks the memory has audited
ReadState = tuple[str, dict[str, bytes], str, frozenset[bytes], frozenset[bytes]]


def read_files(part: Sequence[str], state: ReadState) -> tuple[bytes, bytes, bytes, list[Problem]]:
    """The keys of some files of the tree, the keys of the long blocks read, and the shingles (sorted
    uint64) of what the memory did not already know."""
    public_dir, known, label, remembered, blocks = state
    problems: list[Problem] = []
    keys: list[bytes] = []
    found: list[np.ndarray] = [EMPTY]
    seen = SeenBlocks(blocks)
    for start in range(0, len(part), READ_BATCH):
        words = [EMPTY]  # each file's word hashes, a block's end after each: shingled at once, not file by file
        for rel in part[start : start + READ_BATCH]:
            raw = raw_bytes(public_dir, rel)
            digest = hashlib.blake2b(rel.encode() + b"\x00", digest_size=FILE_KEY)
            digest.update(raw)  # (not of name + raw: a copy of every file)
            key = digest.digest()
            keys.append(key)
            if key not in remembered:
                for run in token_runs(rel, raw, known, problems, label, seen):
                    hashes = word_hashes(run)
                    if len(hashes) > BIG_RUN:  # shingled now, not kept for the batch: memory stays bounded
                        found.append(sorted_unique(hash_shingles(hashes)))
                    else:
                        words += (hashes, FILE_END)
        found.append(sorted_unique(hash_shingles(np.concatenate(words))))
        trim_heap()  # a batch's garbage (pages, feeds of megabytes) goes back: a worker reads half a tree
    return b"".join(keys), b"".join(seen.new), sorted_unique(np.concatenate(found)).tobytes(), problems


def file_tokens(rel: str, raw: bytes, known: dict[str, bytes], problems: list[Problem],  # as in ReadState
                label: str, seen: SeenBlocks | None = None) -> list[bytes]:
    """The normalised words of one file: its name, its text, its long attribute values, blocks apart."""
    runs = list(token_runs(rel, raw, known, problems, label, seen))
    return runs[0] if len(runs) == 1 else [token for run in runs for token in (*run, BREAK_TOKEN)]


def token_runs(rel: str, raw: bytes, known: dict[str, bytes], problems: list[Problem],
               label: str, seen: SeenBlocks | None = None) -> Iterator[list[bytes]]:
    """file_tokens, in runs of at most SLICE bytes of text for a file longer (a text of 64 MB, unpacked from a
    small file, is some 30 million words: read whole, gigabytes), each overlapping the last by OVERLAP bytes,
    so a run of 8 words across a cut is read whole in the next."""
    tokens = [*text_tokens(rel.encode()), BREAK_TOKEN]
    data = _searchable(rel, raw, f"{label}/{rel}", problems)
    if data is not None and len(data) > SLICE:
        yield tokens
        for start in range(0, len(data), SLICE):
            yield normal_tokens(data[max(start - OVERLAP, 0) : start + SLICE], seen)
        return
    yield _tokens_of(rel, data, known, tokens, seen)


def _tokens_of(rel: str, data: bytes | None, known: dict[str, bytes], tokens: list[bytes],
               seen: SeenBlocks | None) -> list[bytes]:
    if data is None:
        return tokens
    packed = known.get(rel)
    body = zlib.decompress(packed) if packed is not None else None  # render.pack: UTF-8, compressed
    parts = _split(data, body) if body else [data]
    if len(parts) == 1:  # no known body, or not in the page
        return tokens + normal_tokens(data, seen)
    head, tail = _edges(body)  # cut the known public body out: its shingles are all public already
    for i, part in enumerate(parts):
        tokens += normal_tokens((tail if i else b"") + part + (head if i < len(parts) - 1 else b""), seen)
        tokens.append(BREAK_TOKEN)
    return tokens


PROBE = 32  # bytes of a known body's start sought first (see _split)
PROBE_MISSES = 8


def _split(data: bytes, body: bytes) -> list[bytes]:
    """data.split(body), in a fifth of the time: the start of the body is found first, and the rest
    checked there. bytes.split skips through a page a few bytes at a time for a body whose last byte (a
    newline) is everywhere; a short start is sought by longer jumps. Past a few false starts (a body
    that starts like much of the page), bytes.split does the rest, whose time is bounded."""
    probe = body[:PROBE]
    parts: list[bytes] = []
    start = misses = 0
    at = data.find(probe)
    while at >= 0:
        if data.startswith(body, at):  # the first body from start: one starts with the probe
            parts.append(data[start:at])
            start = at + len(body)
            at = data.find(probe, start)
        elif (misses := misses + 1) > PROBE_MISSES:
            return parts + data[start:].split(body)
        else:
            at = data.find(probe, at + 1)
    parts.append(data[start:])
    return parts


def _edges(body: bytes) -> tuple[bytes, bytes]:
    """The body's bytes before its first block tag and after its last: the words that join what is around it.

    They stay when the body is cut out of a page, so a run of words that crosses its edges is still searched.
    """
    head_end = next((tag.start() for tag in TAG.finditer(body) if not INLINE_TAG.fullmatch(tag[0])), len(body))
    end = len(body)
    while (start := body.rfind(b"<", 0, end)) >= 0:
        tag = TAG.match(body, start)
        if tag and not INLINE_TAG.fullmatch(tag[0]):
            return body[:head_end], body[tag.end():]
        end = start
    return body[:head_end], body


def raw_bytes(public_dir: str, rel: str) -> bytes:
    # rel has forward slashes, which every system takes; unbuffered: read whole, a buffer is only a copy
    with open(f"{public_dir}/{rel}", "rb", buffering=0) as handle:
        return handle.read()


def _searchable(rel: str, data: bytes, where: str, problems: list[Problem]) -> bytes | None:
    """The text of one file, decompressed, as a reader would get it (documents.py: UTF-16, PDFs, Office
    files, archives); None for a binary file such as an image."""
    try:
        return document_text(rel, unbrotli(data) if rel.endswith(".br") else data)
    except ImportError:
        problems.append(Problem(where, None, "cannot search a PDF: no pypdf module",
                                "pip install pypdf (the audit fails rather than skip a file)"))
    except UnreadableDocument as exc:
        problems.append(Problem(where, None, f"cannot search this file for member-only text: {exc}",
                                f"the audit fails rather than pass a file it could not read: {exc.hint}"))
    return b""
