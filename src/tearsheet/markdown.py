"""Markdown body -> markdown-it tokens -> HTML, with the extensions essays need."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore, replace, smartquotes
from markdown_it.rules_core.replacements import RARE_RE, SCOPED_ABBR_RE
from markdown_it.rules_core.smartquotes import QUOTE_RE
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin

DEEP_MARGIN = 4  # levels short of markdown-it's nesting limit where _too_deep_rule takes over
# The footnote plugin's back-link arrow (with a text-style selector, so iOS shows no emoji), written as
# character references: a body without other non-ASCII text then stays an ASCII string, half the memory.
BACKREF_ARROW, BACKREF_ENTITY = "\u21a9\ufe0e", "&#8617;&#65038;"
# `<!--more-->` (`<!-- more -->`), and as WordPress writes it: `<!--more Keep reading-->`. A comment that only
# starts with the word (`<!-- more charts to come -->`) is a comment.
MORE_MARKER = re.compile(r"<!--\s*more\s*-->|<!--more\s[^>]*-->", re.IGNORECASE)
# One wherever it is (glued to an HTML block, inside a paragraph), and as a paragraph's text shows it when raw
# HTML is off (the typographer made its dashes en dashes): see render.stray_more.
MORE_LIKE = re.compile(r"<!(?:--|\u2013)\s*more\s*(?:--|\u2013)>|<!(?:--|\u2013)more\s[^>]*>", re.IGNORECASE)
# markdown-it-py normalises and checks every link and image URL afresh (mdurl parses, encodes and
# formats it: a tenth of a parse). Essays link to the same places over and over (their charts, the
# writer's other posts), and the functions are pure: each parser remembers the last URLs it was given.
LINK_FUNCTIONS = ("normalizeLink", "normalizeLinkText", "validateLink")
LINK_MEMO = 1 << 14  # URLs per function


@functools.cache
def _typographer() -> MarkdownIt:
    return MarkdownIt("commonmark", {"typographer": True}).enable(["replacements", "smartquotes"])


def typographic(text: str) -> str:
    """Plain text as the body's typographer turns it (curly quotes, `--` and `---` dashes, `...`, (c)):
    for the title and description a writer types into front matter, where "Here's" beside the body's
    "Don’t" reads as a slip. markdown-it's own rules, run on the text as one token."""
    if not (RARE_RE.search(text) or SCOPED_ABBR_RE.search(text) or QUOTE_RE.search(text)):
        return text  # nothing the rules would change (their own tests): most titles, at no cost
    md = _typographer()
    inline = Token("inline", "", 0, content=text, children=[Token("text", "", 0, content=text)])
    state = StateCore("", md, {})
    state.tokens = [inline]
    replace(state)
    smartquotes(state)
    return "".join(child.content for child in inline.children or ())


def make_markdown(raw_html: bool = True) -> MarkdownIt:
    """CommonMark + tables, strikethrough, footnotes, typographer, heading ids, figures, <!--more-->."""
    md = (
        MarkdownIt("commonmark", {"typographer": True, "html": raw_html})
        .enable(["table", "strikethrough", "replacements", "smartquotes"])
        .use(footnote_plugin)
        .use(anchors_plugin, min_level=1, max_level=4)
    )
    md.block.ruler.before("table", "more_marker", _more_marker_rule,
                          {"alt": ["paragraph", "reference", "blockquote", "list"]})
    md.block.ruler.before("more_marker", "too_deep", _too_deep_rule)
    md.core.ruler.push("figures", _figures_rule)
    md.add_render_rule("more_marker", lambda *args: "")
    md.add_render_rule("image", _render_image)
    backref = md.renderer.rules["footnote_anchor"]  # bound to the renderer already
    md.add_render_rule("footnote_anchor",
                       lambda _self, *args: backref(*args).replace(BACKREF_ARROW, BACKREF_ENTITY))
    for name in LINK_FUNCTIONS:  # the rules call them as state.md.normalizeLink(...): the instance's own first
        setattr(md, name, functools.lru_cache(maxsize=LINK_MEMO)(getattr(md, name)))
    return md


def parse_body(md: MarkdownIt, body: str) -> tuple[list[Token], dict[str, Any]]:
    env: dict[str, Any] = {}
    return md.parse(body, env), env


def render_tokens(md: MarkdownIt, tokens: Sequence[Token], env: dict[str, Any]) -> str:
    return md.renderer.render(tokens, md.options, env)


def _too_deep_rule(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """Deep inside lists and quotes, read the rest of the container as one paragraph of plain text.

    markdown-it drops, without a word, everything nested deeper than its maxNesting (20 levels), and
    parses deep nesting in time that grows with depth times lines: both end here, and no text is lost.
    """
    if silent or state.level < state.md.options.maxNesting - DEEP_MARGIN:
        return False
    lines = (state.src[state.bMarks[n] + state.tShift[n] : state.eMarks[n]] for n in range(start, end))
    opening = state.push("paragraph_open", "p", 1)
    opening.map = [start, end]
    inline = state.push("inline", "", 0)
    inline.content, inline.map, inline.children = "\n".join(line for line in lines if line.strip()), [start, end], []
    state.push("paragraph_close", "p", -1)
    state.line = end
    return True


def _more_marker_rule(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """A line holding only `<!--more-->` ends the teaser; a code fence hides it from this rule."""
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    line = state.src[state.bMarks[start] + state.tShift[start] : state.eMarks[start]]
    if not MORE_MARKER.fullmatch(line.strip()):
        return False
    if not silent:
        token = state.push("more_marker", "", 0)
        token.map = [start, start + 1]
    state.line = start + 1
    return True


def _figures_rule(state: StateCore) -> None:
    """Turn a paragraph that is only an image into a <figure>."""
    tokens = state.tokens
    for i in range(len(tokens) - 2):
        opening, inline, closing = tokens[i], tokens[i + 1], tokens[i + 2]
        if (opening.type == "paragraph_open" and not opening.hidden and inline.type == "inline"
                and closing.type == "paragraph_close" and inline.children
                and len(inline.children) == 1 and inline.children[0].type == "image"):
            opening.tag = closing.tag = "figure"
            inline.children[0].meta = {**inline.children[0].meta, "figure": True}


def _render_image(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env)
    src = escapeHtml(str(token.attrGet("src") or ""))
    title = str(token.attrGet("title") or "")
    if token.meta.get("figure"):
        caption = f"<figcaption>{escapeHtml(title)}</figcaption>" if title else ""
        return f'<img src="{src}" alt="{escapeHtml(alt)}" loading="lazy">{caption}'
    title_attr = f' title="{escapeHtml(title)}"' if title else ""
    return f'<img src="{src}" alt="{escapeHtml(alt)}"{title_attr} loading="lazy">'
