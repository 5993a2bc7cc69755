"""What the Markdown renderer gives an essay."""

from __future__ import annotations

from html import unescape

from markdown_it import MarkdownIt

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


def test_srcset_is_split_into_its_urls() -> None:
    from tearsheet.render import srcset_urls

    assert srcset_urls("/a.png 1x, /a@2x.png 2x") == ["/a.png", "/a@2x.png"]
    assert srcset_urls("/a.png 640w,/b.png 1280w") == ["/a.png", "/b.png"]
    assert srcset_urls(" /only.png ") == ["/only.png"]
    assert srcset_urls("/a,b.png 1x, /c.png,/d.png 2x") == ["/a,b.png", "/c.png,/d.png"]  # commas end no URL
    assert srcset_urls(" , ") == []


def test_every_url_of_raw_html_is_a_link_of_the_body() -> None:
    """Raw HTML names files in many ways; each counts, so a file only member-only text uses stays out of public."""
    from tearsheet.content import SourcePost
    from tearsheet.frontmatter import PostMeta
    from tearsheet.render import render_post

    body = ("[md](/md/) ![img](/img.png)\n\n"
            '<picture><source srcset="/s.webp 1x, /s@2x.webp 2x"><img srcset=\'/i.png 1x,/i@2x.png 2x\' src=/i.png '
            'alt="a, b"></picture>\n\n'
            '<img srcset="/c,d.png 1x">\n\n'
            'Text <video poster="/v.jpg" src="/v.mp4"></video> <a HREF=/r&amp;d.pdf>pdf</a> <object data="/o.svg">'
            '</object> <img data-src="/lazy.png"> <span style="background: url(\'/bg.png\')"></span>\n')
    meta = PostMeta(path="content/posts/a.md", kind="post", title="A", slug="a", date=None, updated=None,
                    tier="free", teaser=10, tags=(), series="", authors=(), description="", draft=False, image="")
    post = render_post(make_markdown(), SourcePost(meta, body, 5))
    assert post.full.links == ("/md/", "/img.png", "/s.webp", "/s@2x.webp", "/i.png", "/i@2x.png",
                               "/c,d.png", "/c", "d.png",  # a browser's reading and a split at every comma
                               "/v.jpg", "/v.mp4", "/r&d.pdf", "/o.svg", "/lazy.png", "/bg.png")


def test_footnote_back_link_is_an_arrow_written_in_ascii() -> None:
    # the arrow as character references: a body of plain ASCII text stays a compact (1 byte a character) string
    html = render("Yields rose[^1].\n\n[^1]: On the day.")
    assert html.isascii()
    assert '<a href="#fnref1" class="footnote-backref">&#8617;&#65038;</a>' in html
    assert "\u21a9\ufe0e" in unescape(html)


def test_links_render_as_markdown_it_does_however_often_a_url_recurs() -> None:
    # each parser remembers the URLs it normalised: a link seen before must come out as it did the first time
    links = ("[a](https://example.com/a b) [b](<https://example.com/a b>) [c](HTTPS://EXAMPLE.COM/%7Ex) "
             "[d](javascript:alert(1)) [e](/posts/2024/fed?x=1&y=2#h) ![f](/images/chart 1.png) "
             "<https://example.com/ünï> [g](mailto:Me@Example.com)\n\n[ref]: https://example.com/ünï 'T'\n\n[h][ref]\n")
    stock = MarkdownIt("commonmark").enable("strikethrough")
    md = make_markdown()
    for _ in range(3):
        tokens, env = parse_body(md, links)
        html = render_tokens(md, tokens, env)
        hrefs = [t.attrGet("href") or t.attrGet("src") for block in tokens for t in block.children or []
                 if t.type in ("link_open", "image")]
        expected = [t.attrGet("href") or t.attrGet("src") for block in stock.parse(links) for t in block.children or []
                    if t.type in ("link_open", "image")]
        assert hrefs == expected and len(hrefs) == 6  # "javascript:" refused, a bare space is no link
        assert 'href="javascript' not in html and 'href="https://example.com/%C3%BCn%C3%AF"' in html
