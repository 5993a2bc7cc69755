"""Markdown tokens -> the public teaser of a plus post, cut on tokens, never on HTML strings.

The teaser is the first N words of the body (headings and the text of raw HTML blocks count), or
everything before the first `<!--more-->` line. The cut falls between words, never inside a raw HTML
block; open inline markup and blocks are closed; footnotes survive only when the teaser references them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it.token import Token

ELLIPSIS = "\u2026"
WORDLESS_LEAVES = ("image", "html_inline", "footnote_ref")
# What may close after a teaser's last paragraph: its list items, lists and quotes.
CLOSERS_AFTER_TEXT = ("paragraph_close", "list_item_close", "bullet_list_close", "ordered_list_close",
                      "blockquote_close")
# A sentence's end (closing quotes and brackets after it too): "spring.…" would read as a typo.
ENDS_SENTENCE = re.compile(r"[.!?…:;][\"'\u201d\u2019)\]]*\s*$")
RAW_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)(?:\s[^<>]*?)?(/?)>")
# What is not text in a raw HTML block: comments, tags (a "<" then a letter, "/", "!" or "?", as browsers read
# them: "2s10s < 0 ... > 80%" is text), and what scripts and styles hold.
RAW_MARKUP = re.compile(r"<!--.*?-->|<(script|style)\b[^>]*>.*?</\1\s*>|<[A-Za-z/!?][^<>]*>",
                        re.DOTALL | re.IGNORECASE)
VOID_ELEMENTS = frozenset(("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                           "track", "wbr"))


@dataclass(frozen=True, slots=True)
class TeaserCut:
    tokens: list[Token]
    cut: bool  # whether anything of the body was left out


def cut_teaser(tokens: Sequence[Token], words: int) -> TeaserCut:
    """Return the tokens the public may see of a plus post."""
    main, notes = _split_footnotes(tokens)
    marker = next((i for i, t in enumerate(main) if t.type == "more_marker"), None)
    if marker is not None:
        kept, cut = list(main[:marker]), any(_has_content(t) for t in main[marker + 1 :])
    else:
        kept, cut = _cut_at_words(main, words)
    kept = _close_open(_drop_empty_tail(kept))
    if cut and marker is None:  # the writer's own `<!--more-->` ends where they chose: no ellipsis
        _append_ellipsis(kept)
    closers = _unclosed_raw_html([t for t in kept if t.type == "html_block"])
    if closers:  # an HTML block (<div>) opened before the cut and closed after it
        kept.append(Token("html_block", "", 0, content="".join(closers) + "\n", block=True))
    return TeaserCut(kept + _footnotes_referenced(kept, notes), cut)


def count_words(tokens: Sequence[Token]) -> int:
    """Count words as the cut does: runs of non-space characters in text and code, across markup."""
    # The count _WordCounter makes, without its loop over characters: a block's text runs on across
    # inline markup and a line break ends a word, so join each block's text and split it on whitespace.
    count = 0
    for token in tokens:
        if token.type == "footnote_block_open":
            break
        if token.type == "inline":
            count += len(_inline_text(token.children or []).split())
        elif token.type in ("fence", "code_block"):
            count += len(token.content.split())
        elif token.type == "html_block":
            count += raw_words(token.content)
    return count


def raw_words(html: str) -> int:
    """The words of a raw HTML block as a reader sees them: its text, without tags, comments, scripts and styles."""
    return len(RAW_MARKUP.sub(" ", html).split())


def _inline_text(children: Sequence[Token]) -> str:
    parts = []
    for child in children:
        if child.type in ("text", "code_inline") and not child.meta.get("ellipsis"):  # (the cut's own "…": after
            parts.append(child.content)  # an image it would stand alone, and count as a word)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


class _WordCounter:
    """Walks text; `text()` returns the offset where word limit+1 starts, or None."""

    def __init__(self, limit: int | None) -> None:
        self.limit, self.count, self.in_word = limit, 0, False

    @property
    def full(self) -> bool:
        return self.limit is not None and self.count >= self.limit and not self.in_word

    def block(self) -> None:
        self.in_word = False

    def text(self, content: str) -> int | None:
        for offset, char in enumerate(content):
            if char.isspace():
                self.in_word = False
            elif not self.in_word:
                if self.full:
                    return offset
                self.count += 1
                self.in_word = True
        return None

    def child(self, child: Token) -> int | None:
        """Feed one inline child; return a cut offset (0 = before the child) or None."""
        if child.type in ("text", "code_inline"):
            return self.text(child.content)
        if child.type in ("softbreak", "hardbreak"):
            self.in_word = False
            return 0 if self.full else None
        if child.nesting == 1 or child.type in WORDLESS_LEAVES:
            return 0 if self.full else None
        return None


def _cut_at_words(main: Sequence[Token], limit: int) -> tuple[list[Token], bool]:
    counter = _WordCounter(limit)
    for i, token in enumerate(main):
        if token.nesting == -1:
            continue
        counter.block()
        if token.type == "inline":
            children = _cut_inline(token.children or [], counter)
            if children is not None:
                end = _whole_rows(main, i)
                if end < i:  # a table row is not cut: half a row reads as missing figures
                    return list(main[:end]), True
                return [*main[: i - 1], _without_id(main[i - 1]), token.copy(children=children)], True
        elif counter.full:
            return list(main[: _whole_rows(main, i)]), _has_content_from(main, i)
        elif token.type == "html_block":  # raw HTML cannot be cut inside: it goes whole, or not at all
            words = raw_words(token.content)
            if counter.limit is not None and counter.count + words > counter.limit:
                return list(main[:i]), True
            counter.count += words
        elif token.type in ("fence", "code_block"):
            offset = counter.text(token.content)
            if offset is not None:
                return [*main[:i], token.copy(content=token.content[:offset].rstrip() + "\n")], True
    return list(main), False


def _whole_rows(main: Sequence[Token], end: int) -> int:
    """Where a teaser cut before token `end` ends so that it holds whole table rows: before the row it
    would cut, or before the table when no row of its body would be left (a header alone says nothing)."""
    table = row = None
    in_body, body_rows = False, 0
    for i in range(end):
        kind = main[i].type
        if kind == "table_open":
            table, row, in_body, body_rows = i, None, False, 0
        elif kind == "table_close":
            table = None
        elif kind == "tbody_open":
            in_body = True
        elif kind == "tr_open":
            row = i
        elif kind == "tr_close":
            row, body_rows = None, body_rows + in_body
    if table is None:
        return end
    if not body_rows:
        return table
    return end if row is None else row


def _cut_inline(children: Sequence[Token], counter: _WordCounter) -> list[Token] | None:
    """Return the children up to the cut, or None when the cut is not in this inline."""
    for j, child in enumerate(children):
        offset = counter.child(child)
        if offset is None:
            continue
        kept = list(children[:j])
        text = child.content[:offset].rstrip() if offset else ""
        if text:
            kept.append(child.copy(content=text))
        kept = _close_open(_trim_trailing_space(_drop_empty_tail(kept)))
        return kept + [Token("html_inline", "", 0, content=c) for c in _unclosed_raw_html(kept)]
    return None


def _unclosed_raw_html(tokens: Sequence[Token]) -> list[str]:
    """Closing tags for the raw HTML elements (<span>, <div>) these tokens open and do not close."""
    stack: list[str] = []
    for token in tokens:
        if token.type not in ("html_inline", "html_block"):
            continue
        for closing, name, self_closing in RAW_TAG.findall(token.content):
            name = name.lower()
            if self_closing or name in VOID_ELEMENTS:
                continue
            if not closing:
                stack.append(name)
            elif name in stack:  # closes it, and whatever was left open inside it
                del stack[len(stack) - 1 - stack[::-1].index(name):]
    return [f"</{name}>" for name in reversed(stack)]


def _trim_trailing_space(children: list[Token]) -> list[Token]:
    """Drop the space before the cut, so the ellipsis sits against the last word."""
    for k in range(len(children) - 1, -1, -1):
        if children[k].type == "text":
            children[k] = children[k].copy(content=children[k].content.rstrip())
            return children
        if children[k].nesting != -1:
            return children
    return children


def _without_id(opening: Token) -> Token:
    """A cut heading loses its id: the slug of the whole heading would spell out the words cut."""
    if opening.attrGet("id") is None:
        return opening
    return opening.copy(attrs={k: v for k, v in opening.attrs.items() if k != "id"})


def _has_content(token: Token) -> bool:
    return token.nesting != -1


def _has_content_from(tokens: Sequence[Token], start: int) -> bool:
    return any(_has_content(t) for t in tokens[start:])


def _drop_empty_tail(tokens: list[Token]) -> list[Token]:
    """Drop openings left with nothing inside them, and inlines left with no children."""
    while tokens and (tokens[-1].nesting == 1 or (tokens[-1].type == "inline" and not tokens[-1].children)):
        tokens.pop()
    return tokens


def _close_open(tokens: list[Token]) -> list[Token]:
    """Append a closing token for every opening still open, innermost first."""
    stack: list[Token] = []
    for token in tokens:
        if token.nesting == 1:
            stack.append(token)
        elif token.nesting == -1 and stack:
            stack.pop()
    for opening in reversed(stack):
        closing = Token(opening.type.removesuffix("_open") + "_close", opening.tag, -1)
        closing.block, closing.hidden, closing.markup = opening.block, opening.hidden, opening.markup
        tokens.append(closing)
    return tokens


def _append_ellipsis(tokens: list[Token]) -> None:
    """End the teaser's last paragraph (in a list or a quote too) with an ellipsis, unless it ends a sentence.

    Not after a table, a heading, code or a figure, where one would read as part of them.
    """
    end = len(tokens)
    while end and tokens[end - 1].type in CLOSERS_AFTER_TEXT:
        end -= 1
    if end < 2 or end == len(tokens) or tokens[end].type != "paragraph_close" or tokens[end - 1].type != "inline":
        return
    inline = tokens[end - 1]
    text = _inline_text(inline.children or [])
    if text.strip() and not ENDS_SENTENCE.search(text):  # none after a paragraph of an image only (a figure)
        ellipsis = Token("text", "", 0, content=ELLIPSIS, meta={"ellipsis": True})  # not a word (see _inline_text)
        tokens[end - 1] = inline.copy(children=[*inline.children, ellipsis])


def _split_footnotes(tokens: Sequence[Token]) -> tuple[list[Token], list[Token]]:
    start = next((i for i, t in enumerate(tokens) if t.type == "footnote_block_open"), len(tokens))
    return list(tokens[:start]), list(tokens[start:])


def _note_refs(tokens: Sequence[Token]) -> set[tuple[int, int]]:
    """(footnote id, reference number) of every footnote reference in these tokens."""
    return {(child.meta["id"], child.meta.get("subId", 0))
            for token in tokens if token.type == "inline"
            for child in token.children or [] if child.type == "footnote_ref"}


def _footnotes_referenced(kept: Sequence[Token], notes: Sequence[Token]) -> list[Token]:
    """Keep the footnote definitions (and back-links) that the teaser refers to, and those its notes refer to."""
    refs = _note_refs(kept)
    by_note: dict[int, list[Token]] = {}
    current: list[Token] = []
    for token in notes:
        if token.type == "footnote_open":
            current = by_note.setdefault(token.meta["id"], [])
        current.append(token)
    while True:  # a note kept may cite another: keep that one too, or its link would lead nowhere
        ids = {note_id for note_id, _ in refs}
        cited = _note_refs([token for note_id in ids for token in by_note.get(note_id, ())])
        if cited <= refs:
            break
        refs |= cited
    if not ids:
        return []
    out: list[Token] = []
    keep = False
    for token in notes:
        if token.type in ("footnote_block_open", "footnote_block_close"):
            out.append(token)
        elif token.type == "footnote_open":
            keep = token.meta["id"] in ids
            if keep:
                out.append(token)
        elif keep and not (token.type == "footnote_anchor"
                           and (token.meta["id"], token.meta.get("subId", 0)) not in refs):
            out.append(token)
    return out
