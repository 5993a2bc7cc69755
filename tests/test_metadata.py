"""Page heads (canonical, OpenGraph, Twitter, JSON-LD), sitemap.xml and robots.txt."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from tearsheet.cli import main
from tearsheet.markdown import typographic
from tearsheet.metadata import json_ld_text

from .conftest import MINIMAL_TOML, SITES, build, read_tree

ORIGIN = "https://canary.example.com"


class Head(HTMLParser):
    """The links, metas and scripts of a page, and every element's classes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.links: list[dict[str, str]] = []
        self.metas: dict[str, list[str]] = {}
        self.scripts: list[tuple[str, str]] = []  # (type, text)
        self.classes: set[str] = set()
        self._script: str | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.classes.update(values.get("class", "").split())
        if tag == "link":
            self.links.append(values)
        elif tag == "meta" and ("property" in values or "name" in values):
            self.metas.setdefault(values.get("property") or values["name"], []).append(values["content"])
        elif tag == "script":
            self._script = values.get("type", "")
            self.scripts.append((self._script, ""))

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            kind, text = self.scripts[-1]
            self.scripts[-1] = (kind, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def meta(self, key: str) -> str:
        return self.metas[key][0]

    def json_ld(self) -> dict[str, object]:
        blocks = [text for kind, text in self.scripts if kind == "application/ld+json"]
        assert len(blocks) == 1
        return json.loads(blocks[0])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("meta") / "tiers"
    shutil.copytree(SITES / "tiers", site)
    build(site)
    return site / "output"


def head_of(built: Path, tier: str, path: str) -> Head:
    return Head((built / tier / path).read_text())


@pytest.mark.parametrize("tier", ["public", "members"])
def test_every_page_has_a_public_canonical_and_feed_autodiscovery(built: Path, tier: str) -> None:
    pages = [p for p in read_tree(built / tier) if p.endswith(".html") and p != "404.html"]
    assert len(pages) >= 18  # posts, pages, lists, terms, archive
    for path in pages:
        head = head_of(built, tier, path)
        canonical = [link["href"] for link in head.links if link.get("rel") == "canonical"]
        assert canonical == [f"{ORIGIN}/{path.removesuffix('index.html')}"], path
        feeds: dict[str, str] = {}
        for link in head.links:
            if link.get("rel") == "alternate":
                feeds.setdefault(link["type"], link["href"])  # the site's feeds come first
        assert feeds["application/rss+xml"] == "/feeds/rss.xml"
        assert feeds["application/atom+xml"] == "/feeds/atom.xml"
        assert feeds["application/feed+json"] == "/feeds/feed.json"
        assert (built / tier / "feeds" / "rss.xml").exists()
        assert ("noindex" in head.metas.get("robots", [])) == (tier == "members"), path


def test_term_pages_also_link_their_own_feeds(built: Path) -> None:
    for path in ("tags/rates/index.html", "series/the-weekly/index.html", "authors/ann/index.html"):
        hrefs = [link["href"] for link in head_of(built, "public", path).links if link.get("rel") == "alternate"]
        folder = "/" + path.removesuffix("index.html")
        assert f"{folder}rss.xml" in hrefs and f"{folder}atom.xml" in hrefs
        assert (built / "public" / folder.strip("/") / "atom.xml").exists()


@pytest.mark.parametrize("tier", ["public", "members"])
def test_a_plus_post_without_description_is_described_by_its_public_teaser_only(built: Path, tier: str) -> None:
    html = (built / tier / "2026" / "10" / "plus-nodesc" / "index.html").read_text()
    head = Head(html.split("</head>")[0])
    teaser = "Public opening words of a plus post that has no description of\u2026"
    assert head.meta("og:description") == head.meta("twitter:description") == head.meta("description") == teaser
    assert head.json_ld()["description"] == teaser
    assert "zqcanary" not in html.split("</head>")[0]
    assert head.meta("og:image") == head.meta("twitter:image") == f"{ORIGIN}/images/public-chart.svg"
    assert head.meta("twitter:card") == "summary_large_image"
    assert head.meta("og:type") == "article"
    assert head.meta("og:url") == f"{ORIGIN}/2026/10/plus-nodesc/"
    assert head.meta("article:published_time") == "2026-10-04T07:00:00-04:00"
    assert head.metas["article:tag"] == ["rates"] and head.meta("article:author") == "Ann Analyst"


def test_json_ld_marks_plus_posts_and_the_members_paywalled_section(built: Path) -> None:
    public = head_of(built, "public", "2026/10/plus-marker/index.html").json_ld()
    assert public["@type"] == "NewsArticle" and public["isAccessibleForFree"] is False
    assert public["headline"] == "Plus post marker" and "hasPart" not in public
    assert public["datePublished"] == "2026-10-02T07:00:00-04:00"
    assert public["author"] == [{"@type": "Person", "name": "Ann Analyst", "url": f"{ORIGIN}/authors/ann/"}]
    assert public["publisher"] == {"@type": "Organization", "name": "Canary Letter", "url": f"{ORIGIN}/"}
    members_head = head_of(built, "members", "2026/10/plus-marker/index.html")
    members = members_head.json_ld()
    assert members["hasPart"] == {"@type": "WebPageElement", "isAccessibleForFree": False,
                                  "cssSelector": ".paywalled"}
    page = (built / "members" / "2026" / "10" / "plus-marker" / "index.html").read_text()
    paid = page.split('<div class="post-body paywalled">')[1].split("</article>")[0]
    assert "zqcanarympara" in paid  # the selector wraps the paid text
    assert "paywalled" not in head_of(built, "public", "2026/10/plus-marker/index.html").classes
    free = head_of(built, "members", "2026/10/free-note/index.html")
    assert free.json_ld()["isAccessibleForFree"] is True and "hasPart" not in free.json_ld()
    assert "paywalled" not in free.classes
    home = head_of(built, "public", "index.html").json_ld()
    assert home["@type"] == "WebSite" and home["url"] == f"{ORIGIN}/"


def test_schema_type_is_a_site_choice(write_site: Callable[..., Path]) -> None:
    site = write_site({"content/posts/2026/a.md": "---\ntitle: A\ndate: 2026-03-01\n---\n\nBody.\n"},
                      toml='schema_type = "BlogPosting"\n' + MINIMAL_TOML)
    build(site)
    assert head_of(site / "output", "public", "2026/03/a/index.html").json_ld()["@type"] == "BlogPosting"


def test_sitemap_lists_public_urls_with_lastmod(built: Path) -> None:
    assert not (built / "members" / "sitemap.xml").exists()
    root = etree.fromstring((built / "public" / "sitemap.xml").read_bytes())
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    entries = {u.findtext("s:loc", namespaces=ns): u.findtext("s:lastmod", namespaces=ns)
               for u in root.findall("s:url", ns)}
    assert entries[f"{ORIGIN}/"] == "2026-10-10T00:00:00-04:00"
    assert entries[f"{ORIGIN}/2026/10/plus-marker/"] == "2026-10-02T07:00:00-04:00"
    assert entries[f"{ORIGIN}/tags/rates/"] == "2026-10-10T00:00:00-04:00"
    assert f"{ORIGIN}/about/" in entries and f"{ORIGIN}/authors/ann/" in entries
    posts = [p for p in read_tree(built / "public") if p.startswith("2026/10/") and p.endswith("index.html")]
    assert {f"{ORIGIN}/{p.removesuffix('index.html')}" for p in posts} <= set(entries)


def test_robots_txt_opens_the_public_build_and_closes_the_members_build(built: Path) -> None:
    assert (built / "public" / "robots.txt").read_text() == (
        f"User-agent: *\nAllow: /\n\nSitemap: {ORIGIN}/sitemap.xml\n")
    assert (built / "members" / "robots.txt").read_text() == "User-agent: *\nDisallow: /\n"


def test_json_ld_text_cannot_end_its_script_element() -> None:
    text = json_ld_text({"headline": "</script><script>alert(1)</script><!-- & \u2028"})
    assert not set("<>&\u2028") & set(text)
    assert json.loads(text)["headline"] == "</script><script>alert(1)</script><!-- & \u2028"


PAYLOAD = "</script><script>alert(1)</script><!-- \"quoted\" 'single' ]]> & done"
TYPOGRAPHIC = typographic(PAYLOAD)  # a post's title and description get the body's curly quotes and dashes


def _quoted(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid YAML and TOML basic string


def test_script_breaking_payloads_in_every_field_come_out_inert(write_site: Callable[..., Path]) -> None:
    q = _quoted(PAYLOAD)
    toml = (f"title = {q}\ndescription = {q}\ncopyright = {q}\n" + MINIMAL_TOML.split("\n", 1)[1]
            .replace('name = "Ann Analyst"', f"name = {q}\nbio = {q}").replace(
                'headline = "Members read on"', f"headline = {q}"))
    fields = (f"title: {q}\ntags: [{q}]\nseries: {q}\nauthors: [ann]\ndescription: {q}\nimage: {q}\n")
    site = write_site({
        "content/posts/2026/free.md": f"---\n{fields}date: 2026-03-01\n---\n\nFree body.\n",
        "content/posts/2026/paid.md": f"---\n{fields}date: 2026-03-02\ntier: plus\nteaser: 2\n---\n\nPaid body here.\n",
        "content/pages/about.md": f"---\ntitle: {q}\ndescription: {q}\nimage: {q}\n---\n\nAbout.\n",
    }, toml=toml)
    build(site)
    for tier in ("public", "members"):
        tree = read_tree(site / "output" / tier)
        for path, data in tree.items():
            if path.endswith(".html"):
                _assert_page_inert(path, data.decode())
        for path in ("feeds/rss.xml", "feeds/atom.xml", "tags/script-script-alert-1-script-quoted-single-done/rss.xml",
                     "series/script-script-alert-1-script-quoted-single-done/atom.xml", "authors/ann/rss.xml"):
            etree.fromstring(tree[path])
            parsed = feedparser.parse(tree[path])
            assert parsed.bozo == 0 and parsed.feed.title.endswith(PAYLOAD), path
            assert [e.title for e in parsed.entries] == [TYPOGRAPHIC, TYPOGRAPHIC], path
        for page in ("2026/03/free/index.html", "2026/03/paid/index.html", "about/index.html"):
            head = Head(tree[page].decode())
            assert head.meta("og:title") == head.meta("twitter:title") == TYPOGRAPHIC, page
            assert head.meta("og:description") == head.meta("description") == TYPOGRAPHIC, page
        feed = json.loads(tree["feeds/feed.json"])
        assert feed["title"] == PAYLOAD and feed["items"][0]["title"] == TYPOGRAPHIC
        assert feed["items"][0]["tags"] == [PAYLOAD]


def _assert_page_inert(path: str, html: str) -> None:
    head = Head(html)
    assert "<script>alert(1)" not in html, path
    assert not [text for kind, text in head.scripts if "alert(1)" in text and kind != "application/ld+json"], path
    for _kind, text in [s for s in head.scripts if s[0] == "application/ld+json"]:
        assert "<" not in text and ">" not in text, path
        data = json.loads(text)
        found = json.dumps(data, ensure_ascii=False).replace('\\"', '"')
        assert TYPOGRAPHIC in found or PAYLOAD in found, path  # a post's own words, or the site's


def test_a_plus_post_showing_no_words_is_described_by_the_site(write_site) -> None:
    site = write_site({"content/posts/bare.md": "---\ntitle: Bare\ndate: 2026-03-01\ntier: plus\nteaser: 0\n---\n\n"
                                                "zqmembers only text.\n"})
    (site / "site.toml").write_text('description = "Markets, daily."\n' + (site / "site.toml").read_text())
    build(site)
    for tier in ("public", "members"):
        head = Head((site / "output" / tier / "2026" / "03" / "bare" / "index.html").read_text().split("</head>")[0])
        assert head.meta("description") == head.meta("og:description") == "Markets, daily."


def test_site_image_is_the_card_of_every_page_without_its_own(write_site, capsys) -> None:
    site = write_site({
        "content/posts/own.md": "---\ntitle: Own\ndate: 2026-03-01\nimage: /images/own.png\n---\n\nHi.\n",
        "content/posts/none.md": "---\ntitle: None\ndate: 2026-03-02\ntier: plus\n---\n\nOpening.\n\n<!--more-->\n\n"
                                 "![chart](/images/card.png) zqmembers text.\n",
        "content/images/own.png": "png", "content/images/card.png": "png"})
    (site / "site.toml").write_text('image = "/images/card.png"\n' + (site / "site.toml").read_text())
    build(site)
    public = site / "output" / "public"
    card = "https://letter.example.com/images/card.png"
    for page in ("index.html", "tags/index.html", "2026/03/none/index.html"):
        head = Head((public / page).read_text().split("</head>")[0])
        assert head.meta("og:image") == head.meta("twitter:image") == card, page
    assert Head((public / "2026/03/own/index.html").read_text().split("</head>")[0]).meta("og:image") == \
        "https://letter.example.com/images/own.png"
    assert (public / "images" / "card.png").exists()  # though member-only text shows it too: every page's card
    (site / "content/images/card.png").unlink()
    assert main(["check", str(site)]) == 1
    assert "site.toml:1: image /images/card.png: no such file on the site" in capsys.readouterr().err
