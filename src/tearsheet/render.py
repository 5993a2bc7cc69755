"""SourcePost -> RenderedPost: parse once, render the full body and the public body from the same tokens."""

from __future__ import annotations

import html
import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .content import SourcePost
from .errors import SiteError
from .frontmatter import PostMeta
from .markdown import MORE_LIKE, MORE_MARKER, parse_body, render_tokens
from .tiers import ENDS_SENTENCE, count_words, cut_teaser

# Any attribute of a raw HTML tag that may name a file: src, href, poster, data, srcset, data-src, ...
# Quoted or not; a name is whole (not the end of another name), and an attribute is read wherever it
# stands, even in a comment: a URL collected needlessly costs nothing, one missed can leak a file.
RAW_ATTRIBUTE = re.compile(
    r"""(?<![\w:-])((?:xlink:)?(?:src|href|poster|data|cite|action|formaction|background|longdesc"""
    r"""|srcset|imagesrcset|data-[\w-]+))\s*=\s*("[^"]*"|'[^']*'|[^\s"'<>`]+)""", re.IGNORECASE)
CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)""", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    id: str
    text: str


NEWLINE = re.compile(r"\r\n?|\n")
LEAD_WORDS = 40  # words of a body's lead: the summary of a post without a description


@dataclass(frozen=True, slots=True)
class RenderedBody:
    """One tier's body of a post: everything a page, list, feed or index may show of it.

    Its HTML and plain text are kept compressed: a build holds every body of both tiers, and forks its
    workers from them (at 4,000 posts, 130 MB as strings, 35 MB packed). Each is unpacked where used.
    """

    packed_html: bytes  # see `html`
    packed_text: bytes  # see `text`
    lead: str  # the text's first LEAD_WORDS words, and "…" when more follow
    toc: tuple[Heading, ...]
    words: int
    links: tuple[str, ...]  # every URL the body refers to (links, images, raw HTML)

    @property
    def html(self) -> str:
        return unpack(self.packed_html)

    @property
    def text(self) -> str:
        """Plain text, without markup or footnotes, blocks separated by spaces."""
        return unpack(self.packed_text)


def pack(text: str) -> bytes:
    """A string compressed (quickly: zlib's level 1 keeps a fourth of an essay's HTML or text)."""
    return zlib.compress(text.encode("utf-8", "surrogatepass"), 1)


def unpack(packed: bytes) -> str:
    return zlib.decompress(packed).decode("utf-8", "surrogatepass")


def first_words(text: str, count: int = LEAD_WORDS) -> str:
    """The first words of a text, and "…" when more follow (not after a sentence's end: "spring.…")."""
    words = text.split()
    lead = " ".join(words[:count])
    return lead + ("…" if len(words) > count and not ENDS_SENTENCE.search(lead) else "")


@dataclass(frozen=True, slots=True)
class OpenFence:
    """A code block whose fence (```) is never closed: the rest of the post shows as code."""

    line: int  # of the file, where the fence opens
    more_line: int  # of a `<!--more-->` line it swallows (the teaser does not end there), else 0


@dataclass(frozen=True, slots=True)
class RenderedPost:
    meta: PostMeta
    full: RenderedBody
    public: RenderedBody  # the same object as `full` unless the post is plus
    cut: bool  # whether the public body leaves anything out
    open_fence: OpenFence | None = None
    stray_more: StrayMore | None = None  # of a plus post only
    notes: tuple[tuple[int, str], ...] = ()  # (line of the file, what is likely a slip there): see body_notes
    body_key: str = ""  # the body cache's key of both editions (cache.body_key), where a BodyRenderer made them


@dataclass(frozen=True, slots=True)
class StrayMore:
    """A `<!--more-->` that does not cut the teaser: not on a line of its own, so part of other text."""

    line: int  # of the file, where it is
    block_line: int  # where the HTML block it is part of starts (0: none: it is inside `inside`)
    inside: str = "paragraph"  # what holds it when not an HTML block: "paragraph", "heading", "table cell", "code"


def render_post(md: MarkdownIt, source: SourcePost) -> RenderedPost:
    tokens, env = parse_body(md, source.body)
    full = _render_body(md, tokens, env)
    _check_addresses(full.links, source)
    fence = open_fence(tokens, source.body, source.body_line)
    notes = body_notes(tokens, source.body, source.body_line)
    if source.meta.tier != "plus":
        return RenderedPost(source.meta, full, full, cut=False, open_fence=fence, notes=notes)
    teaser = cut_teaser(tokens, source.meta.teaser)
    return RenderedPost(source.meta, full, _render_body(md, teaser.tokens, env), cut=teaser.cut, open_fence=fence,
                        stray_more=stray_more(tokens, source.body, source.body_line), notes=notes)


# The sentences `tearsheet new` writes for the writer to replace (opening, member part, whole essay).
NEW_POST_PLACEHOLDERS = ("Write the opening everyone reads here.", "Write what only members read here.",
                         "Write the essay here.")
# What Markdown left as text: a link or image whose address has a space, a footnote never defined.
UNREAD_LINK = re.compile(r"(!?)\[([^\]\n]*)\]\(([^()\n]*\s[^()\n]*)\)")
UNDEFINED_NOTE = re.compile(r"\[\^([^\]\s]+)\]")


def body_notes(tokens: Sequence[Token], body: str, body_line: int) -> tuple[tuple[int, str], ...]:
    """Slips that render as stray text: `![chart](/images/my chart.png)` (a space in the address), `[^b]`
    with no `[^b]: ...` note. Each with its line."""
    notes = []
    for token in tokens:
        if token.type != "inline" or "[" not in token.content:
            continue
        text = "".join(child.content for child in token.children or () if child.type == "text")
        for found in UNREAD_LINK.finditer(text):
            image, label, address = found.groups()
            what = "image" if image else "link"
            line = _line_of(re.compile(re.escape(address)), token.map, body)
            notes.append((body_line + line, f"this {what} shows as text, since its address has a space: write "
                          f"{image}[{label}](<{address.strip()}>), or rename the file without spaces"))
        for found in UNDEFINED_NOTE.finditer(text):
            line = _line_of(re.compile(re.escape(found[0])), token.map, body)
            notes.append((body_line + line, f"footnote {found[0]} is never written, so it shows as text: add a "
                          f"line `{found[0]}: ...` at the end of the post, or remove it"))
    notes += _long_rows(tokens, body, body_line)
    for placeholder in NEW_POST_PLACEHOLDERS:
        if (at := body.find(placeholder)) >= 0:
            notes.append((body_line + body.count("\n", 0, at), f'still has the text `tearsheet new` wrote: '
                          f'"{placeholder}": write your own in its place'))
    return tuple(notes)


CELL_BORDER = re.compile(r"(?<!\\)\|")  # as markdown-it's escapedSplit: a | after a backslash is text
QUOTE_MARKS = re.compile(r"^[ \t]*(?:>[ \t]?)+")  # a table in a quote: its rows' > marks


def _long_rows(tokens: Sequence[Token], body: str, body_line: int) -> Iterator[tuple[int, str]]:
    """Table rows with more cells than the header: Markdown drops the extra ones, which a writer pasting a
    table from a spreadsheet does not see until a reader says so."""
    lines = body.split("\n")
    header = 0
    for number, token in enumerate(tokens):
        if token.type != "tr_open" or not token.map or token.map[0] >= len(lines):
            continue
        cells = _cells(lines[token.map[0]])
        if tokens[number - 1].type == "thead_open":
            header = cells
        elif header and cells > header:
            hidden = "the last cell does" if cells - header == 1 else f"the last {cells - header} do"
            yield (body_line + token.map[0], f"this table row has {cells} cells but the table has {header} "
                   f"columns, so {hidden} not show: add the column to the header row and the |---| line under "
                   "it, or remove the extra cells")


def _cells(line: str) -> int:
    """The cells of a table row as markdown-it splits it (an escaped \\| is not a border; a quote's > marks
    are not cells)."""
    cells = CELL_BORDER.split(QUOTE_MARKS.sub("", line).strip())
    return len(cells) - (cells[0] == "") - (len(cells) > 1 and cells[-1] == "")


def _check_addresses(links: Sequence[str], source: SourcePost) -> None:
    """A link no URL parser can read (`http://[oops/chart.png`: an unclosed bracket in the host) is an error
    here, where its file and line are known, not a traceback in a later stage."""
    for link in links:
        if link.isascii() and "[" not in link and "]" not in link:
            continue  # what urlsplit refuses: brackets, and non-ASCII that folds into URL syntax
        try:
            urlsplit(link)
        except ValueError as exc:
            line = _line_of(re.compile(re.escape(link[:40])), [0, source.body.count("\n") + 1], source.body)
            raise SiteError.one(source.meta.path, source.body_line + line,
                                f'"{link}" is not a web address a browser can follow: {exc}',
                                "check the address: a [ in a host is for an IPv6 address, and must be closed") from None


def stray_more(tokens: Sequence[Token], body: str, body_line: int) -> StrayMore | None:
    """The first `<!--more-->` before any that cuts which markdown-it read as part of an HTML block or a
    paragraph (a marker with no blank line after HTML, or written at the end of a sentence)."""
    for number, token in enumerate(tokens):
        if token.type == "more_marker":
            return None  # the teaser ends there: whatever follows is members' text anyway
        if token.type == "html_block" and MORE_LIKE.search(token.content):
            found = _line_of(MORE_LIKE, token.map, body)
            return StrayMore(body_line + found, body_line + token.map[0] if token.map else 0)
        if token.type == "inline" and any(child.type in ("html_inline", "text") and MORE_LIKE.search(child.content)
                                          for child in token.children or ()):
            holder = tokens[number - 1].type if number else ""
            inside = {"heading_open": "heading", "th_open": "table cell", "td_open": "table cell"}.get(holder,
                                                                                                       "paragraph")
            span = token.map or next((t.map for t in reversed(tokens[:number]) if t.map), None)
            return StrayMore(body_line + _line_of(MORE_LIKE, span, body), 0, inside)
        if token.type == "code_block" and any(MORE_MARKER.fullmatch(line.strip())
                                              for line in token.content.split("\n")):
            return StrayMore(body_line + _line_of(MORE_MARKER, token.map, body), 0, "code")  # indented 4 spaces
    return None


def _line_of(pattern: re.Pattern[str], span: list[int] | None, body: str) -> int:
    """The line (counted from the body's first, 0) in a token's span of lines where the pattern first matches."""
    if not span:
        return 0
    lines = NEWLINE.split(body)
    return next((n for n in range(span[0], min(span[1], len(lines))) if pattern.search(lines[n])), span[0])


def open_fence(tokens: Sequence[Token], body: str, body_line: int) -> OpenFence | None:
    """The code block at the top level that runs to the end of the body for want of a closing fence.

    Only the last block can be one (it takes every line after it), and a fence in a list or a quote ends
    with its container: only one at the top level swallows the rest of the post.
    """
    last = next((t for t in reversed(tokens) if t.level == 0 and not t.type.startswith("footnote")), None)
    if last is None or last.type != "fence" or not last.map:
        return None
    start, end = last.map
    lines = NEWLINE.split(body)  # as markdown-it counts lines
    closing = lines[end - 1].strip() if end - 1 > start and end - 1 < len(lines) else ""
    if closing and set(closing) == {last.markup[0]} and len(closing) >= len(last.markup) and (
            len(lines[end - 1]) - len(lines[end - 1].lstrip(" ")) < 4):
        return None  # closed on the body's last line
    more = next((n for n in range(start + 1, min(end, len(lines))) if MORE_MARKER.fullmatch(lines[n].strip())), None)
    return OpenFence(body_line + start, 0 if more is None else body_line + more)


def _render_body(md: MarkdownIt, tokens: Sequence[Token], env: dict[str, Any]) -> RenderedBody:
    text = plain_text(tokens)
    return RenderedBody(
        packed_html=pack(render_tokens(md, tokens, env)),
        packed_text=pack(text),
        lead=first_words(prose_text(tokens) or text),
        toc=_headings(tokens),
        words=count_words(tokens),
        links=_links(tokens),
    )


def plain_text(tokens: Sequence[Token]) -> str:
    """The body's words without markup or footnotes, blocks separated by spaces."""
    parts: list[str] = []
    for token in tokens:
        if token.type == "footnote_block_open":
            break
        if token.type == "inline":
            parts.append("".join(c.content for c in token.children or [] if c.type in ("text", "code_inline")))
        elif token.type in ("fence", "code_block"):
            parts.append(token.content)
    return " ".join(" ".join(parts).split())


def prose_text(tokens: Sequence[Token]) -> str:
    """The words of the body's paragraphs (in lists and quotes too), for a summary: not its headings, tables
    or code, which read as a jumble of words out of place ("Tenor 1M 3M 6M 1Y ...")."""
    parts: list[str] = []
    for i, token in enumerate(tokens[1:], 1):
        if token.type == "footnote_block_open":
            break
        if token.type == "inline" and tokens[i - 1].type == "paragraph_open":
            parts.append("".join(c.content for c in token.children or [] if c.type in ("text", "code_inline")))
    return " ".join(" ".join(parts).split())


def _headings(tokens: Sequence[Token]) -> tuple[Heading, ...]:
    found = []
    for i, token in enumerate(tokens[:-1]):
        heading_id = token.attrGet("id")
        if token.type == "heading_open" and heading_id and tokens[i + 1].type == "inline":
            text = "".join(c.content for c in tokens[i + 1].children or [] if c.type in ("text", "code_inline"))
            found.append(Heading(int(token.tag[1]), str(heading_id), text))
    return tuple(found)


def _links(tokens: Sequence[Token]) -> tuple[str, ...]:
    urls: list[str] = []
    for token in _walk(tokens):
        if token.type == "link_open":
            urls.append(str(token.attrGet("href") or ""))
        elif token.type == "image":
            urls.append(str(token.attrGet("src") or ""))
        elif token.type in ("html_block", "html_inline"):
            urls.extend(raw_html_urls(token.content))
    return tuple(dict.fromkeys(u for u in urls if u))


def raw_html_urls(fragment: str) -> list[str]:
    """Every URL raw HTML names, entities decoded: src, href, poster, data, srcset candidates, CSS url()."""
    urls: list[str] = []
    for match in RAW_ATTRIBUTE.finditer(fragment):
        name, raw = match.group(1).lower(), match.group(2)
        value = html.unescape(raw[1:-1] if raw[0] in "\"'" else raw).strip()
        if name.endswith("srcset"):  # as a browser splits it, and as a split at every comma would (site.py's)
            urls.extend([*srcset_urls(value), *(part.split()[0] for part in value.split(",") if part.split())])
        else:
            urls.append(value)
    for match in CSS_URL.finditer(html.unescape(fragment)):
        urls.append(next(group for group in match.groups() if group is not None).strip())
    return [url for url in urls if url]


def srcset_urls(value: str) -> list[str]:
    """The URLs of a srcset, as the HTML standard splits it: "a.png 1x, b,c.png 2x" -> a.png, b,c.png."""
    return list(_srcset_candidates(value))


def _srcset_candidates(value: str) -> Iterator[str]:
    pos, end = 0, len(value)
    while pos < end:
        while pos < end and (value[pos].isspace() or value[pos] == ","):
            pos += 1
        start = pos
        while pos < end and not value[pos].isspace():
            pos += 1
        url = value[start:pos]
        if url.endswith(","):  # a candidate without descriptors
            url = url.rstrip(",")
        else:  # skip the descriptors, up to a comma outside parentheses
            depth = 0
            while pos < end and (value[pos] != "," or depth):
                depth = max(0, depth + {"(": 1, ")": -1}.get(value[pos], 0))
                pos += 1
        if url:
            yield url


def _walk(tokens: Sequence[Token]):  # type: ignore[no-untyped-def]
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)
