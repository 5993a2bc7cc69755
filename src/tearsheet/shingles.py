"""Text -> normalised words -> shingles: the one normalisation the paywall audit compares with.

HTML pages, feeds (HTML escaped once more), JSON search indexes and plain text all come down to the
same words: tags stripped (comments and long attribute values kept), entities and JSON escapes decoded,
ASCII case folded, split into runs of letters and digits, so curly and straight quotes, dashes and
ellipses separate words alike. Works on bytes: a few C-speed passes rather than a loop over characters.

A shingle never spans a block boundary (a paragraph, heading, list item, table, feed element): text
that only templates put side by side, a description and the body after it say, is no one's text, and
on a large site such junctions match member-only text by chance. Inline markup (emphasis, links, table
cells within one table) joins words as the reader sees them.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from urllib.parse import unquote_to_bytes

SHINGLE = 8

TAG = re.compile(rb"<[a-zA-Z/!?][^<>]*>")
# Tags that keep the words around them in one run; every other tag ends a run (see the module doc).
INLINE_TAG = re.compile(rb"</?(?:a|abbr|b|bdi|bdo|br|cite|code|data|del|dfn|em|font|i|img|ins|kbd|mark|q|s|samp|"
                        rb"small|span|strike|strong|sub|sup|td|th|time|tr|tt|u|var|wbr)(?=[\s/>])[^<>]*>",
                        re.IGNORECASE)
# Any other tag: the boundary of a block.
BLOCK_TAG = re.compile(rb"<(?!/?(?:a|abbr|b|bdi|bdo|br|cite|code|data|del|dfn|em|font|i|img|ins|kbd|mark|q|s|samp|"
                       rb"small|span|strike|strong|sub|sup|td|th|time|tr|tt|u|var|wbr)[\s/>])[a-zA-Z/!?][^<>]*>",
                       re.IGNORECASE)
BREAK = b"\x1e"  # stands for a block tag until the words are split
COMMENT_MARKS = re.compile(rb"<!--|-->")
ATTR_VALUE = re.compile(rb"""=\s*(?:"([^"<>]{16,})"|'([^'<>]{16,})')""")
ENTITY = re.compile(rb"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?")
COMMON_ENTITIES = ((b"&lt;", b"<"), (b"&gt;", b">"), (b"&quot;", b'"'), (b"&#34;", b'"'), (b"&#39;", b"'"),
                   (b"&#x27;", b"'"), (b"&nbsp;", b" "), (b"&amp;", b"&"))  # &amp; last: one level per pass
JSON_CHAR = re.compile(rb"\\u([0-9a-fA-F]{4})")
JSON_SPACE = re.compile(rb"\\[nrtbf]")
# Typographer output and other non-ASCII punctuation separate words like ASCII punctuation does;
# invisible characters inside a word (soft hyphen, zero-width space) join it.
SEPARATOR_CHARS = ("\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u2010\u2011\u2012\u2013\u2014\u2015\u2026"
                   "\u2032\u2033\u2039\u203a\u2022\u2212\u00a0\u2002\u2003\u2009\u200a\u202f\u00ab\u00bb"
                   "\u00b7\u00a7\u00b6")
JOINER_CHARS = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
# ASCII letters to lower case, other ASCII to a space; bytes of UTF-8 sequences (letters) kept.
# BREAK is kept, to split blocks on after folding.
FOLD = bytes(b + 32 if 65 <= b <= 90 else b if 48 <= b <= 57 or 97 <= b <= 122 or b >= 128 or b == BREAK[0] else 32
             for b in range(256))

Segment = list[bytes]  # normalised words; a shingle never spans two segments


def normal_words(text: str | bytes, seen: set[int] | None = None) -> list[Segment]:
    """Normalised words of a text, an HTML page, a feed or a JSON index: the text, then each long attribute.

    Given `seen`, the hashes of blocks and attribute values already searched, those are left out (their
    shingles are known: a shingle never spans two blocks) and new ones are added.
    """
    data = text.encode("utf-8", "replace") if isinstance(text, str) else text
    if b"\\" in data:
        data = JSON_SPACE.sub(b" ", JSON_CHAR.sub(_json_char, data))
    if b"<!--" in data:
        data = COMMENT_MARKS.sub(b" ", data)  # a comment's words are text: a template could hide a leak in one
    if seen is None or b"<" not in data:
        segments = text_words(data)
    else:  # pages repeat blocks (a site's chrome, a post's summary on every list): read each once
        blocks = BLOCK_TAG.split(data)
        segments = text_words(BREAK.join([b for b, h in zip(blocks, map(hash, blocks), strict=True)
                                          if h not in seen and not seen.add(h)]))  # type: ignore[func-returns-value]
    if b"=" in data:  # attribute values (alt, title, content=...) are searched, each on its own
        for value in (a or b for a, b in ATTR_VALUE.findall(data)):
            if b"%" in value:
                value = unquote_to_bytes(value)
            elif b" " not in value and b"+" not in value:
                continue  # a class name or a URL: no run of words (a slug is public anyway)
            if seen is not None:
                key = hash(value)
                if key in seen:
                    continue  # the same description in meta, og: and twitter: tags, say
                seen.add(key)
            if len(value.translate(FOLD).split()) >= SHINGLE:
                segments += text_words(value)
    return segments


def text_words(data: bytes) -> list[Segment]:
    """The words of a text or markup, one segment per block; empty blocks left out."""
    for _ in range(3):  # a feed escapes its HTML once more: strip, unescape, and strip again
        if b"<" in data:
            data = TAG.sub(BREAK, INLINE_TAG.sub(b" ", data))
        if b"&" not in data:
            break
        data = _unescape(data)
        if b"<" not in data:
            break
    if not data.isascii():
        data = _unpunctuate(data)
    folded = data.translate(FOLD)
    if BREAK not in folded:
        words = folded.split()
        return [words] if words else []
    return [words for block in folded.split(BREAK) if (words := block.split())]


def _mark_patterns() -> tuple[tuple[bytes, re.Pattern[bytes], bytes], ...]:
    """(bytes every match starts with, pattern, replacement) per group of marks alike but for the last byte."""
    groups: dict[tuple[bytes, bytes], list[bytes]] = defaultdict(list)
    for chars, replacement in ((SEPARATOR_CHARS, b" "), (JOINER_CHARS, b"")):
        for char in chars:
            code = char.encode()
            groups[(code[:-1], replacement)].append(re.escape(code[-1:]))
    return tuple((prefix, re.compile(re.escape(prefix) + b"[" + b"".join(lasts) + b"]"), replacement)
                 for (prefix, replacement), lasts in sorted(groups.items()))


MARK_PATTERNS = _mark_patterns()


def _unpunctuate(data: bytes) -> bytes:
    """Non-ASCII punctuation to spaces; patterns that start with fixed bytes search fast."""
    for prefix, pattern, replacement in MARK_PATTERNS:
        if prefix in data:
            data = pattern.sub(replacement, data)
    return data


def _unescape(data: bytes) -> bytes:
    """Decode one level of entities: the common ones by plain replacement (fast), the rest by regex."""
    for entity, char in COMMON_ENTITIES:
        if entity in data:
            data = data.replace(entity, char)
    return ENTITY.sub(_entity, data) if b"&" in data else data


def _entity(match: re.Match[bytes]) -> bytes:
    return html.unescape(match[0].decode("ascii")).encode("utf-8", "replace")


def _json_char(match: re.Match[bytes]) -> bytes:
    return chr(int(match[1], 16)).encode("utf-8", "replace")


def shingles(segments: Iterable[Segment]) -> Iterator[int]:
    """The hash of every run of SHINGLE consecutive words within one segment."""
    return chain.from_iterable(map(segment_shingles, segments))


def segment_shingles(words: Sequence[bytes]) -> Iterator[int]:
    return map(hash, zip(*(words[i:] for i in range(SHINGLE)), strict=False))
