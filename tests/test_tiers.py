"""The teaser cut, on strings: exact word counts, closed markup, footnotes kept only when referenced."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tearsheet.markdown import make_markdown, parse_body, render_tokens
from tearsheet.tiers import count_words, cut_teaser

DOC = """# Opening heading

Some *emphasis here* and [a linked phrase](https://example.com/x) then words[^a] go on.

- first item
- second **bold item** here
  - nested deeper item

| Asset | 1w |
|---|---:|
| SPX | +1.2% |

> A quoted line of text.

```
code words inside
```

Closing paragraph with a member footnote[^b].

[^a]: Public note.
[^b]: Member note.
"""

VOID = {"br", "hr", "img", "input", "meta", "link"}


class _Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        pass  # <hr /> opens nothing

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with {self.stack}")
        else:
            self.stack.pop()


def is_balanced(html: str) -> bool:
    parser = _Balance()
    parser.feed(html)
    parser.close()
    return not parser.errors and not parser.stack


def teaser(source: str, words: int) -> tuple[str, int, bool]:
    md = make_markdown()
    tokens, env = parse_body(md, source)
    cut = cut_teaser(tokens, words)
    return render_tokens(md, cut.tokens, env), count_words(cut.tokens), cut.cut


TABLE_WORDS = (22, 26)  # the words before DOC's table, and after its header and row: it goes whole or not at all


@pytest.mark.parametrize("words", range(0, 45))
def test_teaser_has_exactly_n_words_and_balanced_html(words: int) -> None:
    md = make_markdown()
    total = count_words(parse_body(md, DOC)[0])
    html, counted, cut = teaser(DOC, words)
    before, after = TABLE_WORDS
    assert counted == (before if before < words < after else min(words, total))
    assert cut == (words < total)
    assert is_balanced(html), html


def test_cut_falls_between_words_and_closes_inline_markup() -> None:
    html, _, _ = teaser(DOC, 5)
    assert html == '<h1 id="opening-heading">Opening heading</h1>\n<p>Some <em>emphasis here</em>\u2026</p>\n'
    html, _, _ = teaser(DOC, 8)
    assert '<a href="https://example.com/x">a linked</a>\u2026</p>' in html


@pytest.mark.parametrize(("source", "words", "ending"), [
    ("Rates fell since the spring. Then they rose again.\n", 5, "spring.</p>"),  # not "spring.…"
    ("It was \u201cgradual.\u201d Then more.\n", 3, "gradual.\u201d</p>"),
    ("Leaning the wrong way.[^1] More.\n\n[^1]: A note.\n", 4, "</sup></p>"),
    ("Points:\n\n- one two\n- three four five\n", 4, "<li>three\u2026</li>\n</ul>"),  # ends in a list
    ("> quoted words here and more\n", 3, "<p>quoted words here\u2026</p>\n</blockquote>"),
    ("| a | b |\n|---|---|\n| one | two |\n| three | four five |\n", 6, "</table>"),  # nothing added to a table
])
def test_the_ellipsis_follows_a_cut_mid_sentence_only(source: str, words: int, ending: str) -> None:
    html, _, cut = teaser(source, words)
    assert cut and html.split('<hr class="footnotes-sep"')[0].rstrip().endswith(ending), html
    assert html.count("\u2026") == ending.count("\u2026")


def test_the_writers_more_line_ends_the_teaser_without_an_ellipsis() -> None:
    html, _, cut = teaser("The opening, cut where I chose\n\n<!--more-->\n\nThe rest.\n", 100)
    assert cut and html == "<p>The opening, cut where I chose</p>\n"


def test_cut_heading_loses_the_id_that_would_spell_the_rest() -> None:
    html, _, _ = teaser("## Buy the secret trade\n\nBody.\n", 1)
    assert html == "<h2>Buy</h2>\n"


def test_footnotes_survive_only_when_the_teaser_refers_to_them() -> None:
    html, _, _ = teaser(DOC, 14)
    assert "Public note." in html and "Member note." not in html
    html, _, _ = teaser(DOC, 4)
    assert "footnote" not in html


def test_footnote_referenced_on_both_sides_keeps_only_the_public_backlink() -> None:
    source = "Intro words[^n] here.\n\nLater secret[^n].\n\n[^n]: Shared note.\n"
    html, _, _ = teaser(source, 3)
    assert "Shared note." in html
    assert 'href="#fnref1"' in html and "fnref1:1" not in html


def test_more_marker_wins_over_word_count() -> None:
    html, _, cut = teaser("One two.\n\n<!--more-->\n\nThree secret.\n", 100)
    assert cut and "One two." in html and "secret" not in html


def test_first_more_marker_wins_and_fenced_marker_is_text() -> None:
    source = "```\n<!--more-->\n```\n\nA b.\n\n<!-- more -->\n\nC d.\n\n<!--more-->\n\nE f.\n"
    html, _, _ = teaser(source, 100)
    assert "&lt;!--more--&gt;" in html and "A b." in html and "C d." not in html


def test_more_marker_inside_a_list_closes_the_list() -> None:
    html, _, _ = teaser("- one\n- two\n  <!--more-->\n- secret three\n", 100)
    assert "secret" not in html and is_balanced(html)


def test_teaser_zero_is_empty() -> None:
    html, counted, cut = teaser(DOC, 0)
    assert (html, counted, cut) == ("", 0, True)


def test_teaser_longer_than_the_post_shows_it_all_without_ellipsis() -> None:
    html, _, cut = teaser("Just four short words.\n", 50)
    assert not cut and html == "<p>Just four short words.</p>\n"


def test_code_block_is_cut_between_words() -> None:
    html, counted, _ = teaser("```\nalpha beta gamma delta\n```\n", 2)
    assert counted == 2 and "alpha beta\n</code></pre>" in html and "gamma" not in html


def test_words_spanning_markup_count_once() -> None:
    md = make_markdown()
    assert count_words(parse_body(md, "un*believ*able thing\n")[0]) == 2


RAW_PARAGRAPHS = ("Five words open this note.\n\n"
                  "<p>Zqraw one: the desk buys the 2s10s steepener at minus 35 and adds on any dip.</p>\n\n"
                  "<p>Zqraw two: sell the five-year against it, duration neutral, stop at minus 50.</p>\n\n"
                  "The closing paragraph in Markdown has a dozen or so words to end on.\n")


@pytest.mark.parametrize(("words", "shown", "counts"), [(5, 0, 5), (10, 0, 5), (20, 0, 5), (21, 1, 21), (33, 1, 21),
                                                       (34, 2, 34), (40, 2, 40)])
def test_the_words_of_raw_html_count_and_a_block_goes_whole_or_not_at_all(words: int, shown: int,
                                                                          counts: int) -> None:
    """Pasted HTML paragraphs (16 and 13 words) are text like any other: a 10-word teaser shows none of them."""
    html, counted, cut = teaser(RAW_PARAGRAPHS, words)
    assert html.count("Zqraw") == shown, html
    assert counted == counts and cut
    assert is_balanced(html)


def test_a_post_of_raw_html_only_has_a_teaser_of_whole_blocks() -> None:
    html, counted, cut = teaser("<div>\n<p>One two three four.</p>\n<p>Five six seven eight nine.</p>\n</div>\n", 6)
    assert (html, counted, cut) == ("", 0, True)  # one block: it would carry the teaser past 6 words
    assert count_words(parse_body(make_markdown(), "<p>One two three four.</p>\n")[0]) == 4


def test_a_footnote_the_teaser_keeps_keeps_the_notes_it_cites() -> None:
    source = ("Public words[^1] here.\n\n<!--more-->\n\nMember words[^3].\n\n[^1]: A note citing another[^2].\n"
              "[^2]: The other note.\n[^3]: Member note zqsecret.\n")
    html, _, _ = teaser(source, 150)
    cited = html.split('<sup class="footnote-ref"><a href="#')[2].split('"')[0]  # the link in the kept note
    assert f'<li id="{cited}"' in html and "The other note." in html
    assert "zqsecret" not in html


@pytest.mark.parametrize("words", range(3, 16))
def test_a_table_is_cut_between_whole_rows_and_never_shows_a_header_alone(words: int) -> None:
    """Half a row of an auction table reads as missing figures, not as a cut."""
    source = ("Intro words here.\n\n| Bidder | Share | Avg |\n|---|---|---|\n| Directs | 18.1% | 4.1 |\n"
              "| Indirects | 61.2% | 4.2 |\n\nAfter.\n")
    html, counted, _ = teaser(source, words)
    rows = html.count("<tr>")
    assert rows == {3: 0, 9: 2, 12: 3}[max(n for n in (3, 9, 12) if n <= words)], html
    assert counted == max(n for n in (3, 9, 12, 13) if n <= words)
    assert html.count("<td>") == 3 * (rows - 1) if rows else "<table>" not in html


def test_a_less_than_sign_in_raw_html_is_text_not_a_tag_that_hides_words() -> None:
    source = ("Free intro sentence here.\n\n<p>Our rule: when 2s10s &lt; 0 or 2s10s < 0 for a quarter zqa zqb zqc "
              "zqd zqe zqf zqg, the Fed cuts within > 80% of cases.</p>\n\nMembers-only remainder follows here.\n")
    html, counted, cut = teaser(source, 20)
    assert "zqa" not in html and counted == 4 and cut  # the block has 24 words: it does not fit in 20


def test_a_style_or_script_block_at_the_top_does_not_empty_the_teaser() -> None:
    source = ("<style>\n.chart { color: red; } .axis { stroke: grey; } .label { font: 12px sans-serif; }\n</style>\n\n"
              "The opening paragraph everyone reads, with enough words to fill the teaser.\n\nMore after it.\n")
    html, counted, cut = teaser(source, 5)
    assert "<style>" in html and "The opening paragraph everyone reads,\u2026" in html and counted == 5 and cut
