"""What the Markdown renderer gives an essay."""

from __future__ import annotations

from tearsheet.markdown import make_markdown, parse_body, render_tokens


def render(source: str, raw_html: bool = True) -> str:
    md = make_markdown(raw_html)
    tokens, env = parse_body(md, source)
    return render_tokens(md, tokens, env)


def test_typographer_quotes_and_dashes() -> None:
    assert render('"Rates" -- and \'vol\' --- matter.') == "<p>\u201cRates\u201d \u2013 and \u2018vol\u2019 \u2014 matter.</p>\n"


def test_heading_ids_are_unique_anchors() -> None:
    html = render("## The Fed\n\n## The Fed\n")
    assert '<h2 id="the-fed">' in html and '<h2 id="the-fed-1">' in html


def test_image_paragraph_becomes_figure_with_caption() -> None:
    html = render('![Curve chart](/images/curve.svg "Figure 1: 2s10s")\n')
    assert html == ('<figure><img src="/images/curve.svg" alt="Curve chart" loading="lazy">'
                    "<figcaption>Figure 1: 2s10s</figcaption></figure>\n")


def test_inline_image_stays_inline() -> None:
    assert "<figure>" not in render("Text ![x](/a.png) text\n")


def test_tables_strikethrough_footnotes() -> None:
    html = render("| a | b |\n|---|--:|\n| 1 | 2 |\n\n~~old~~ new[^1]\n\n[^1]: Note.\n")
    assert "<table>" in html and 'style="text-align:right"' in html
    assert "<s>old</s>" in html and 'class="footnotes"' in html


def test_raw_html_on_and_off() -> None:
    assert '<div class="x">hi</div>' in render('<div class="x">hi</div>\n')
    assert "&lt;div" in render('<div class="x">hi</div>\n', raw_html=False)


def test_more_marker_renders_nothing_and_works_without_raw_html() -> None:
    assert render("a\n\n<!--more-->\n\nb\n", raw_html=False) == "<p>a</p>\n<p>b</p>\n"
