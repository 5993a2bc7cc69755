"""Text -> normalised words -> shingles: the one normalisation the paywall audit compares with.

HTML pages, feeds (HTML escaped once more), JSON search indexes and plain text all come down to the
same words: tags stripped (comments and long attribute values kept), entities and JSON escapes decoded,
ASCII case folded, split into runs of letters and digits, so curly and straight quotes, dashes and
ellipses separate words alike. Works on bytes: a few C-speed passes rather than a loop over characters.

A shingle never spans a block boundary (a paragraph, heading, list item, table, feed element): text
that only templates put side by side, a description and the body after it say, is no one's text, and
on a large site such junctions match member-only text by chance. Inline markup (emphasis, links, table
cells within one table) joins words as the reader sees them.

Each distinct word is hashed once (BLAKE2b, so hashes are the same in every process and can be kept
between builds), and a shingle's hash is a polynomial over its 8 word hashes, computed for a whole text
at once with numpy.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from urllib.parse import unquote_to_bytes

import numpy as np

SHINGLE = 8


def _ranged(pattern: bytes) -> bytes:
    """The pattern with each negated class of plain bytes (`[^<>]`) written as ranges (`[\\x00-\\x3b\\x3d\\x3f-\\xff]`):
    Python's engine tests a byte against a negated class's bytes one by one, against ranges (three or more) in
    one look-up in a bitmap, a third faster over the bytes of tags."""
    return re.sub(rb"\[\^([^\]\\]+)\]", lambda negated: _all_but(negated[1]), pattern)


def _all_but(excluded: bytes) -> bytes:
    ranges, start = [], 0
    for byte in [*sorted(set(excluded)), 256]:
        if byte > start:
            ranges.append(b"\\x%02x" % start if byte - 1 == start else b"\\x%02x-\\x%02x" % (start, byte - 1))
        start = byte + 1
    return b"[" + b"".join(ranges) + b"]"


# (A tag's [^<>]* and the like are possessive, *+: they stop where what follows starts, and the engine
# keeps no state to backtrack into them.)
TAG = re.compile(_ranged(rb"<[a-zA-Z/!?][^<>]*+>"))
# Tags that keep the words around them in one run; every other tag ends a run (see the module doc).
INLINE_NAMES = ("a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "data", "del", "dfn", "em", "font", "i", "img",
                "ins", "kbd", "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "td", "th",
                "time", "tr", "tt", "tspan", "u", "var", "wbr")  # (an SVG's <tspan>: a line of its <text>)


def _alternatives(names: Iterable[str], top: bool = True) -> str:
    """A regex matching any of the names in any case, as a trie (`(?:B|b)(?:[dD](?:[iI]|[oO])|[rR])?`,
    not `b|bdi|bdo|br`): Python's engine tries the alternatives of a flat list one by one at every tag, and
    runs slower under IGNORECASE than on classes of both cases. The first letters are alternatives of one
    byte each (`B|b`, not `[bB]`), which the engine rules out at a glance, faster than it tests a class."""
    children: dict[str, list[str]] = defaultdict(list)
    for name in names:
        children[name[:1]].append(name[1:])
    branches = []
    for first, rests in sorted(children.items()):
        if not first:
            continue
        tail = _alternatives((rest for rest in rests if rest), top=False)
        optional = "" in rests and tail
        rest = f"(?:{tail})?" if optional else tail
        if not first.isalpha():
            branches.append(re.escape(first) + rest)
        elif top:
            branches += [first.upper() + rest, first.lower() + rest]
        else:
            branches.append(f"[{first.lower()}{first.upper()}]" + rest)
    return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})" if branches else ""


def _first_letters(names: Iterable[str]) -> str:
    """A class of the names' first letters in both cases: ruling out most tags (<p>, <li>, <div>...) in one
    look-up, before the alternatives."""
    return "[" + "".join(sorted({char for name in names for char in (name[0].lower(), name[0].upper())})) + "]"


INLINE = f"(?={_first_letters(INLINE_NAMES)}){_alternatives(INLINE_NAMES)}".encode()
INLINE_TAG = re.compile(_ranged(rb"</?" + INLINE + rb"(?=[\s/>])[^<>]*+>"))
# Any other tag: the boundary of a block.
BLOCK_TAG = re.compile(_ranged(rb"<(?!/?" + INLINE + rb"[\s/>])[a-zA-Z/!?][^<>]*+>"))
BREAK_TOKEN = b"\x1e"  # stands for a block boundary among the words
BREAK = b" \x1e "
COMMENT_MARKS = re.compile(rb"<!--|-->")
# An attribute value that can hold a run of words: one with a space, a + or a %-escape in it (not a class
# name or a URL: a slug is public anyway).
# (The part before the first space, + or % takes none of them: the engine never backtracks into it.)
ATTR_VALUE = re.compile(_ranged(rb"""=\s*+(?:"([^"<> +%]*+[ +%][^"<>]*+)"|'([^'<> +%]*+[ +%][^'<>]*+)')"""))
MIN_VALUE = 16  # bytes: a shorter attribute value holds no run of 8 words
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
# BREAK_TOKEN is kept: it marks where a block ends.
FOLD = bytes(b + 32 if 65 <= b <= 90 else b if 48 <= b <= 57 or 97 <= b <= 122 or b >= 128 or b == BREAK_TOKEN[0]
             else 32 for b in range(256))

Segment = list[bytes]  # normalised words; a shingle never spans two segments


LONG_BLOCK = 64  # bytes: a block this long is worth a digest to remember it by between builds
# A run of block tags and the blanks between them, split keeps it (the group): a page's blocks, and the
# tags between them whose attribute values are sought. A blank between two tags is a block with no words;
# one shorter than LONG_BLOCK has no digest either, so it is not worth a hash.
BLOCK_RUN = re.compile(b"(%s(?:\\s{0,%d}+%s)*+)" % (BLOCK_TAG.pattern, LONG_BLOCK - 1, BLOCK_TAG.pattern))


class SeenBlocks:
    """Blocks and attribute values already searched, to leave out: their shingles are known already.

    Within one reader, any block by Python's hash; from an earlier audit, long blocks by a digest that
    is the same in every process (`remembered`). `new` collects the digests of long blocks read now.
    """

    def __init__(self, remembered: frozenset[bytes] = frozenset()) -> None:
        self.here: set[int] = set()
        self.remembered = remembered
        self.new: list[bytes] = []

    def first_seen(self, blocks: list[bytes]) -> list[bytes]:
        """The blocks new to this reader, each once; noted."""
        here = self.here
        return [b for b, h in zip(blocks, map(hash, blocks), strict=True)
                if h not in here and not here.add(h)]  # type: ignore[func-returns-value]

    def unread(self, fresh: list[bytes]) -> list[bytes]:
        """Of the blocks new to this reader, those to read: less the long ones an earlier audit remembers."""
        kept = []
        remembered, new, digest = self.remembered, self.new, hashlib.blake2b
        for block, size in zip(fresh, map(len, fresh), strict=True):
            if size >= LONG_BLOCK:
                key = digest(block, digest_size=8).digest()
                if key in remembered:
                    continue
                new.append(key)
            kept.append(block)
        return kept

    def first_time(self, value: bytes) -> bool:
        key = hash(value)
        if key in self.here:
            return False
        self.here.add(key)
        return True


def normal_tokens(text: str | bytes, seen: SeenBlocks | None = None) -> list[bytes]:
    """Normalised words of a text, an HTML page, a feed or a JSON index, BREAK_TOKEN between blocks.

    The text's blocks come first, then each long attribute value as a block of its own. Given `seen`,
    blocks and attribute values already searched are left out (their shingles are known: a shingle
    never spans two blocks) and new ones noted.
    """
    data = text.encode("utf-8", "replace") if isinstance(text, str) else text
    if b"\\" in data:
        data = JSON_SPACE.sub(b" ", JSON_CHAR.sub(_json_char, data))
    if _has_comment(data):
        data = COMMENT_MARKS.sub(b" ", data)  # a comment's words are text: a template could hide a leak in one
    values = data  # where attribute values are sought
    if seen is None or b"<" not in data:
        tokens = text_tokens(data)
    else:  # pages repeat blocks (a site's chrome, a post's summary on every list): read each once
        pieces = BLOCK_RUN.split(data)  # blocks, and the runs of tags between them
        fresh = seen.first_seen(pieces[::2])
        tokens = text_tokens(BREAK.join(seen.unread(fresh)))
        if b"=" in data:  # no value spans a < or >: those in a block met before were sought then
            values = b"<".join(fresh + pieces[1::2])  # (and in a block remembered, as they were)
    if b"=" in values:  # attribute values (alt, title, content=...) are searched, each on its own
        tokens += _value_tokens(values, seen)
    return tokens


def _value_tokens(data: bytes, seen: SeenBlocks | None) -> list[bytes]:
    """The words of each long attribute value in the data, BREAK_TOKEN before each (see normal_tokens)."""
    tokens: list[bytes] = []
    sources = [data]
    while sources:
        for value in (a or b for a, b in ATTR_VALUE.findall(sources.pop())):
            if len(value) < MIN_VALUE:
                continue
            if b"%" in value:
                value = unquote_to_bytes(value)
            if seen is not None:
                if not seen.first_time(value):
                    continue  # the same description in meta, og: and twitter: tags, say
                if b"=" in value:  # a block of these very bytes is left out as seen: the values in it
                    sources.append(value)  # are sought now
            if len(value.translate(FOLD).split()) >= SHINGLE:
                tokens.append(BREAK_TOKEN)
                tokens += text_tokens(value)
    return tokens


def _has_comment(data: bytes) -> bool:
    """Whether "<!--" is in the data: each "!" found by memchr, which is rare in a page, in a fifth of the
    time `b"<!--" in data` takes to skip through the bytes (every "-" a candidate)."""
    at = data.find(b"!")
    while at >= 0:
        if at and data.startswith(b"<!--", at - 1):
            return True
        at = data.find(b"!", at + 1)
    return False


def text_tokens(data: bytes) -> list[bytes]:
    """The words of a text or markup, BREAK_TOKEN where a block ends."""
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
    return data.translate(FOLD).split()


def segments_of(tokens: Sequence[bytes]) -> list[Segment]:
    """Tokens as their blocks' word lists, empty blocks left out."""
    segments: list[Segment] = []
    start = 0
    for end in [i for i, token in enumerate(tokens) if token == BREAK_TOKEN] + [len(tokens)]:
        if end > start:
            segments.append(list(tokens[start:end]))
        start = end + 1
    return segments


def normal_words(text: str | bytes, seen: set[int] | None = None) -> list[Segment]:
    """Normalised words of a text, one list per block (see normal_tokens)."""
    return segments_of(normal_tokens(text, seen))


def text_words(data: bytes) -> list[Segment]:
    return segments_of(text_tokens(data))


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


class _WordHashes(dict[bytes, int]):
    """{word: a 64-bit hash of it, the same in every process}, filled as words are first met."""

    def __missing__(self, word: bytes) -> int:
        value = self[word] = int.from_bytes(hashlib.blake2b(word, digest_size=8).digest(), "little", signed=True)
        return value


WORD_HASHES = _WordHashes()  # a memo: every process (and forked worker) fills its own alike
# Odd 64-bit multipliers, one per position in a shingle (digits of pi, made odd).
MULTIPLIERS = np.array([0x243F6A8885A308D3, 0x13198A2E03707345, 0xA4093822299F31D1, 0x082EFA98EC4E6C89,
                        0x452821E638D01377, 0xBE5466CF34E90C6D, 0xC0AC29B7C97C50DD, 0x3F84D5B5B5470917],
                       dtype=np.uint64)[:SHINGLE]
BREAK_HASH = np.array([WORD_HASHES[BREAK_TOKEN]], dtype=np.int64).view(np.uint64)[0]
EMPTY = np.zeros(0, dtype=np.uint64)


def word_hashes(tokens: Sequence[bytes]) -> np.ndarray:
    """The hash of each word (uint64), BREAK_HASH for a BREAK_TOKEN."""
    return np.fromiter(map(WORD_HASHES.__getitem__, tokens), dtype=np.int64, count=len(tokens)).view(np.uint64)


def shingle_array(tokens: Sequence[bytes]) -> np.ndarray:
    """The hash of every run of SHINGLE consecutive words without a BREAK_TOKEN, in order, as uint64."""
    return hash_shingles(word_hashes(tokens)) if len(tokens) >= SHINGLE else EMPTY


def hash_shingles(words: np.ndarray) -> np.ndarray:
    """shingle_array of tokens given their word hashes (word_hashes)."""
    count = len(words) - SHINGLE + 1
    if count <= 0:
        return EMPTY
    hashes = words[:count] * MULTIPLIERS[0]
    for position in range(1, SHINGLE):
        hashes += words[position : position + count] * MULTIPLIERS[position]
    breaks = words == BREAK_HASH
    if breaks.any():
        before = np.concatenate(([0], np.cumsum(breaks)))
        hashes = hashes[before[SHINGLE:] == before[:count]]
    return hashes


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted: np.unique, but a sort and a mask (NumPy 2's hashing unique is far slower)."""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    first = np.ones(len(ordered), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    return ordered[first]


def among_sorted(values: np.ndarray, sorted_values: np.ndarray) -> np.ndarray:
    """For each value, whether the sorted array holds it (np.isin sorts both sides; this only the one given
    sorted). Fastest with `values` sorted too."""
    if not len(sorted_values):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_values, values), len(sorted_values) - 1)
    return sorted_values[at] == values


def shingles(segments: Iterable[Segment]) -> Iterator[int]:
    """The hash of every run of SHINGLE consecutive words within one segment."""
    for words in segments:
        yield from segment_shingles(words)


def segment_shingles(words: Sequence[bytes]) -> list[int]:
    """The hash of each run of SHINGLE words of one segment, by its first word's position."""
    return shingle_array(words).tolist()
