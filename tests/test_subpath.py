"""A site whose base_url has a path (https://host/blog): every link stays under it, and member-only files
stay out of public/ however the link to them is written."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from lxml import etree

from tearsheet.errors import SiteError

from .conftest import MINIMAL_TOML, REPO, build, read_tree

HOST = "basispoint.example.com"
BASE = f"https://{HOST}/blog"
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
BINARY = b"\x89PNG\r\n\x1a\n\x00\x00member-only chart"  # a NUL byte: the audit does not read it, so only selection guards it


def sample_site(target: Path, base_url: str) -> Path:
    """The bundled sample site with another base_url."""
    for name in ("content", "templates"):
        shutil.copytree(REPO / name, target / name)
    toml = (REPO / "site.toml").read_text(encoding="utf-8")
    (target / "site.toml").write_text(re.sub(r'(?m)^base_url = ".*"$', f'base_url = "{base_url}"', toml),
                                      encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = sample_site(tmp_path_factory.mktemp("subpath") / "site", BASE)
    build(site, now=NOW)
    return site / "output"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if not value:
                continue
            if name in ("href", "src", "poster", "cite", "action") or (name == "content" and "://" in value):
                self.urls.append(value)
            elif name == "srcset":
                self.urls += [c.split()[0] for c in value.split(",") if c.split()]
            elif name == "data-base-url":  # the search page's Pagefind folder
                self.urls.append(value + "pagefind/pagefind-ui.js")


def html_urls(text: str) -> list[str]:
    parser = _Links()
    parser.feed(text)
    return parser.urls


def urls_in(rel: str, data: bytes) -> Iterator[str]:
    """Every URL a file of the build refers to: links in pages, feeds (and the HTML inside them), sitemap, robots."""
    text = data.decode("utf-8", errors="replace")
    if rel.endswith(".html"):
        yield from html_urls(text)
        for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', text, re.S):
            yield from _json_strings(json.loads(block))
    elif rel.endswith(".xml"):
        for element in etree.fromstring(data).iter():
            yield from (v for v in element.attrib.values() if "/" in v)
            body = (element.text or "").strip()
            if body.startswith("http"):
                yield body
            elif "<" in body:
                yield from html_urls(body)
    elif rel.endswith(".json"):
        yield from _json_strings(json.loads(text))
    elif rel == "robots.txt":
        yield from re.findall(r"https?://\S+", text)


def _json_strings(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "content_html" and isinstance(item, str):
                yield from html_urls(item)
            else:
                yield from _json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)
    elif isinstance(value, str) and value.startswith(("http://", "https://", "/")):
        yield value


def page_address(rel: str) -> str:
    return f"{BASE}/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)


def file_for(tree: dict[str, bytes], path: str) -> str | None:
    inside = unquote(path)[len("/blog/"):]
    for candidate in (inside + "index.html" if inside.endswith("/") or not inside else inside,
                      inside + "/index.html"):
        if candidate in tree:
            return candidate
    return None


@pytest.mark.parametrize("tier", ["public", "members"])
def test_every_link_on_the_sites_host_is_under_the_base_path_and_reaches_a_file(sample: Path, tier: str) -> None:
    tree = read_tree(sample / tier)
    seen, outside, missing = 0, set(), set()
    for rel, data in sorted(tree.items()):
        if rel.startswith("pagefind/") or not rel.endswith((".html", ".xml", ".json", ".txt")):
            continue
        for url in urls_in(rel, data):
            target = urlsplit(urljoin(page_address(rel), html.unescape(url)))
            if target.netloc != HOST:
                continue
            seen += 1
            if not target.path.startswith("/blog/"):
                outside.add((rel, url))
            elif file_for(tree, target.path) is None:
                missing.add((rel, url))
    assert seen > 1000  # pages, feeds, sitemap, canonical and og: tags were all read
    assert outside == set()
    assert missing == set()


def test_sitemap_robots_canonical_and_feeds_carry_the_base_path(sample: Path) -> None:
    public, members = sample / "public", sample / "members"
    assert f"Sitemap: {BASE}/sitemap.xml" in (public / "robots.txt").read_text()
    locs = re.findall(r"<loc>([^<]+)</loc>", (public / "sitemap.xml").read_text())
    assert f"{BASE}/" in locs and all(loc.startswith(f"{BASE}/") for loc in locs)
    page = (members / "2026" / "10" / "small-cap-rotation" / "index.html").read_text()
    assert f'<link rel="canonical" href="{BASE}/2026/10/small-cap-rotation/">' in page
    assert f'<meta property="og:image" content="{BASE}/images/breadth.svg">' not in page  # no `image:` on it
    card = (public / "2026" / "11" / "october-in-one-table" / "index.html").read_text()
    assert f'<meta property="og:image" content="{BASE}/images/curve.png">' in card  # `image: /images/curve.png`
    assert '<link rel="alternate" type="application/rss+xml" title="The Basis Point (RSS)" href="/blog/feeds/rss.xml">' in card
    feed = json.loads((members / "feeds" / "feed.json").read_text())
    assert (feed["home_page_url"], feed["feed_url"]) == (f"{BASE}/", f"{BASE}/feeds/feed.json")
    assert all(item["url"].startswith(f"{BASE}/20") for item in feed["items"])
    teaser = (public / "2026" / "10" / "small-cap-rotation" / "index.html").read_text()
    assert 'href="/blog/subscribe/">Subscribe to Plus</a>' in teaser  # site.toml's subscribe_url = "/subscribe/"


def test_the_member_only_image_stays_out_of_public(sample: Path) -> None:
    """The sample's breadth.svg is linked as /images/breadth.svg only after the cut of a plus post."""
    assert not (sample / "public" / "images" / "breadth.svg").exists()
    assert (sample / "members" / "images" / "breadth.svg").exists()
    assert (sample / "public" / "images" / "curve.svg").exists()  # a free post shows it
    body = (sample / "members" / "2026" / "10" / "small-cap-rotation" / "index.html").read_text()
    assert '<img src="/blog/images/breadth.svg"' in body


def test_the_sample_site_builds_at_example_com_blog(tmp_path: Path) -> None:
    """The report: with base_url = "https://example.com/blog" the paywall audit stopped the build."""
    site = sample_site(tmp_path / "site", "https://example.com/blog")
    result = build(site, now=NOW)
    assert result.posts == 8
    assert not (site / "output" / "public" / "images" / "breadth.svg").exists()
    assert (site / "output" / "members" / "images" / "breadth.svg").exists()


LINK_FORMS = {
    "root-relative without the base path": "/images/{name}",
    "root-relative with the base path": "/blog/images/{name}",
    "relative": "../../../images/{name}",
    "relative, roundabout": "./../../../images/./{name}",
    "absolute with the host": "https://letter.example.com/blog/images/{name}",
    "absolute with the host, upper case": "HTTPS://LETTER.example.com/blog/images/{name}",
    "protocol-relative": "//letter.example.com/blog/images/{name}",
    "with a query and fragment": "/blog/images/{name}?v=2#top",
    "on members_url": "https://members.letter.example.com/blog/images/{name}",
}


@pytest.mark.parametrize("form", sorted(LINK_FORMS))
def test_a_file_only_member_text_links_to_is_left_out_whatever_the_links_form(
        form: str, write_site: Callable[..., Path]) -> None:
    toml = MINIMAL_TOML.replace('base_url = "https://letter.example.com"',
                                'base_url = "https://letter.example.com/blog"\n'
                                'members_url = "https://members.letter.example.com/blog"')
    secret, public = LINK_FORMS[form].format(name="desk%20chart.png"), LINK_FORMS[form].format(name="open.png")
    site = write_site({
        "content/images/desk chart.png": BINARY,
        "content/images/open.png": BINARY,
        "content/posts/2026/paid.md": f"""\
            ---
            title: "Paid"
            date: 2026-10-07
            tier: plus
            ---

            Before the cut, a public chart: ![public]({public})

            <!--more-->

            After the cut, the desk's chart: ![members]({secret}) and <img src="{secret}" alt="">
            """,
    }, toml=toml)
    build(site, now=NOW)
    out = site / "output"
    assert not (out / "public" / "images" / "desk chart.png").exists(), secret
    assert (out / "members" / "images" / "desk chart.png").exists()
    assert (out / "public" / "images" / "open.png").exists(), public


def test_root_relative_links_in_bodies_get_the_base_path(write_site: Callable[..., Path]) -> None:
    toml = MINIMAL_TOML.replace('base_url = "https://letter.example.com"', 'base_url = "https://letter.example.com/blog"')
    toml = toml.replace("[paywall]", '[[menu]]\ntitle = "Search"\nurl = "/search/"\n\n[paywall]')
    site = write_site({
        "content/images/chart.png": BINARY,
        "content/pages/about.md": "---\ntitle: About\n---\n\nSee [the chart](/images/chart.png).\n",
        "content/posts/2026/free.md": """\
            ---
            title: "Free"
            date: 2026-10-07
            image: /images/chart.png
            ---

            [About](/about/), [also about](/blog/about/), [home](/), [elsewhere](//cdn.example.net/x.js),
            [relative](../../../about/) and <a href='/about/#team'>raw</a>
            <img srcset="/images/chart.png 1x, https://cdn.example.net/c.png 2x" src="/images/chart.png" alt="">

            Code stays as written: `<a href="/about/">` and

                <img src="/images/chart.png">
            """,
    }, toml=toml)
    build(site, now=NOW)
    page = (site / "output" / "public" / "2026" / "10" / "free" / "index.html").read_text()
    for link in ('href="/blog/about/">About', 'href="/blog/about/">also about', 'href="/blog/">home',
                 'href="//cdn.example.net/x.js"', 'href="../../../about/"', 'href="/blog/about/#team">raw',
                 'srcset="/blog/images/chart.png 1x, https://cdn.example.net/c.png 2x"',
                 'src="/blog/images/chart.png"', '<a href="/blog/search/">Search</a>',
                 '<meta property="og:image" content="https://letter.example.com/blog/images/chart.png">',
                 '<code>&lt;a href=&quot;/about/&quot;&gt;</code>', '&lt;img src=&quot;/images/chart.png&quot;&gt;'):
        assert link in page, link
    about = (site / "output" / "members" / "about" / "index.html").read_text()
    assert 'href="/blog/images/chart.png"' in about
    rss = (site / "output" / "public" / "feeds" / "rss.xml").read_text()
    assert "https://letter.example.com/blog/about/" in rss and "https://letter.example.com/about/" not in rss


def test_a_site_at_the_top_of_its_host_keeps_its_links_as_written(write_site: Callable[..., Path]) -> None:
    site = write_site({"content/posts/2026/free.md": "---\ntitle: Free\ndate: 2026-10-07\n---\n\n"
                                                     "[About](/about/) <a href=/about/>raw</a>\n"})
    build(site, now=NOW)
    page = (site / "output" / "public" / "2026" / "10" / "free" / "index.html").read_text()
    assert '<a href="/about/">About</a> <a href=/about/>raw</a>' in page


@pytest.mark.parametrize(("members_url", "message", "hint"), [
    ("members.letter.example.com/blog", 'members_url must be an absolute http(s) URL, got "members.letter.example.com/blog"',
     'start it with https://: members_url = "https://members.letter.example.com/blog"'),
    ("ftp://members", 'members_url must be an absolute http(s) URL, got "ftp://members"',
     'for example: members_url = "https://members.example.com"'),
    ("https://members.letter.example.com", 'members_url must have the same path as base_url ("/blog"), got '
     '"https://members.letter.example.com"', "the members pages link to each other under base_url's path; "
     'for example: members_url = "https://members.letter.example.com/blog"'),
])
def test_members_url_is_checked_like_base_url(write_site: Callable[..., Path], members_url: str, message: str,
                                              hint: str) -> None:
    toml = MINIMAL_TOML.replace('base_url = "https://letter.example.com"',
                                f'base_url = "https://letter.example.com/blog"\nmembers_url = "{members_url}"')
    site = write_site({}, toml=toml)
    with pytest.raises(SiteError) as error:
        build(site)
    assert str(error.value) == f"site.toml:3: {message}\n    {hint}"


def test_base_url_flag_must_keep_members_urls_path(write_site: Callable[..., Path]) -> None:
    """--base-url replaces base_url after site.toml was checked: members_url must still have its path."""
    toml = MINIMAL_TOML.replace('base_url = "https://letter.example.com"',
                                'base_url = "https://letter.example.com/blog"\n'
                                'members_url = "https://members.letter.example.com/blog"')
    site = write_site({"content/posts/2026/free.md": "---\ntitle: Free\ndate: 2026-10-07\n---\n\nWords.\n"},
                      toml=toml)
    with pytest.raises(SiteError) as error:
        build(site, now=NOW, base_url="https://preview.example.com/pr-7")
    assert str(error.value) == (
        '--base-url: "https://preview.example.com/pr-7" has the path "/pr-7", but site.toml\'s members_url '
        '"https://members.letter.example.com/blog" has "/blog": they must be the same\n'
        "    the members pages link to each other under base_url's path; for example: --base-url "
        'https://preview.example.com/blog, or members_url = "https://members.letter.example.com/pr-7" in site.toml')
    assert not (site / "output" / "public").exists()
    build(site, now=NOW, base_url="https://preview.example.com/blog/")  # the same path: fine
    page = (site / "output" / "members" / "2026" / "10" / "free" / "index.html").read_text()
    assert 'href="/blog/' in page
