"""Feeds: RSS, Atom and JSON Feed per tier, read back through feedparser and lxml."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from tearsheet.cli import main

from .conftest import MINIMAL_TOML, SITES, build, read_tree

SITE_TITLES = ["A free note", "Plus post without a description", "Plus post zero", "Plus post marker",
               "Plus post words"]
TOKEN = "zqtoken-members-only-feed"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("feeds") / "tiers"
    shutil.copytree(SITES / "tiers", site)
    build(site)
    return site / "output"


def parse(data: bytes) -> feedparser.FeedParserDict:
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def feed_files(tree: Path) -> dict[str, bytes]:
    return {path: data for path, data in read_tree(tree).items() if path.endswith((".xml", "feed.json"))
            and path != "sitemap.xml"}


def raw_contents(data: bytes) -> list[str]:
    """Each item's HTML as written, before feedparser sanitizes it (it drops srcset, for one)."""
    names = ("{http://purl.org/rss/1.0/modules/content/}encoded", "{http://www.w3.org/2005/Atom}content")
    return [element.text for element in etree.fromstring(data).iter(*names)]


@pytest.mark.parametrize("tier", ["public", "members"])
def test_every_feed_parses_cleanly_with_its_items_newest_first(built: Path, tier: str) -> None:
    expected = {
        "feeds": SITE_TITLES,
        "tags/rates": SITE_TITLES,
        "tags/plus-zero": ["Plus post zero"],
        "series/the-weekly": SITE_TITLES[1:],
        "authors/ann": SITE_TITLES,
    }
    if tier == "members":
        expected[f"feeds/{TOKEN}"] = SITE_TITLES
    files = feed_files(built / tier)
    for folder, titles in expected.items():
        for name in ("rss.xml", "atom.xml"):
            parsed = parse(files[f"{folder}/{name}"])
            assert [e.title for e in parsed.entries] == titles, f"{tier}/{folder}/{name}"
    assert len([p for p in files if p.endswith(".xml")]) == 2 * (len(expected) + 2)  # + plus-marker, plus-words
    for path, data in files.items():
        if path.endswith(".xml"):
            etree.fromstring(data)  # well-formed XML, not only something feedparser forgives
            parse(data)


def test_members_token_feed_exists_only_in_the_members_build(built: Path) -> None:
    assert (built / "members" / "feeds" / TOKEN / "rss.xml").exists()
    assert not (built / "public" / "feeds" / TOKEN).exists()
    for path, data in read_tree(built / "public").items():
        assert TOKEN.encode() not in data and TOKEN not in path, path
    rss = parse((built / "members" / "feeds" / TOKEN / "rss.xml").read_bytes())
    self_links = [link.href for link in rss.feed.links if link.rel == "self"]
    assert self_links == [f"https://canary.example.com/feeds/{TOKEN}/rss.xml"]


def test_public_plus_items_carry_the_teaser_the_prompt_and_a_link(built: Path) -> None:
    entries = {e.title: e for e in parse((built / "public" / "feeds" / "rss.xml").read_bytes()).entries}
    marker = entries["Plus post marker"].content[0].value
    assert "More public words that <em>anyone</em> may read before the cut." in marker
    assert "Members read on" in marker and "Try one month for FREE" in marker
    assert '<a href="https://canary.example.com/subscribe/">Subscribe</a>' in marker
    assert '<a href="https://canary.example.com/2026/10/plus-marker/">Continue reading' in marker
    assert "zqcanary" not in marker
    free = entries["A free note"].content[0].value
    assert "zqfreetext" in free and "Members read on" not in free


def test_members_feeds_carry_full_text(built: Path) -> None:
    for path in ("feeds/rss.xml", "feeds/atom.xml", "feeds/feed.json", f"feeds/{TOKEN}/rss.xml",
                 "tags/plus-zero/atom.xml"):
        data = (built / "members" / path).read_text()
        assert "zqcanaryzpara" in data, path
        assert "Members read on" not in data, path


def test_guids_are_public_permalinks_in_both_tiers(built: Path) -> None:
    ids = {}
    for tier in ("public", "members"):
        rss = parse((built / tier / "feeds" / "rss.xml").read_bytes())
        atom = parse((built / tier / "feeds" / "atom.xml").read_bytes())
        jf = json.loads((built / tier / "feeds" / "feed.json").read_text())
        ids[tier] = [e.id for e in rss.entries]
        assert [e.id for e in atom.entries] == ids[tier] == [i["id"] for i in jf["items"]]
    assert ids["public"] == ids["members"]
    assert ids["public"][0] == "https://canary.example.com/2026/10/free-note/"


def test_feed_dates_come_from_the_posts(built: Path) -> None:
    rss = (built / "public" / "feeds" / "rss.xml").read_text()
    assert "<lastBuildDate>Sat, 10 Oct 2026 00:00:00 -0400</lastBuildDate>" in rss
    atom = parse((built / "public" / "tags" / "plus-zero" / "atom.xml").read_bytes())
    assert atom.feed.updated == "2026-10-03T07:00:00-04:00"
    assert atom.entries[0].published == "2026-10-03T07:00:00-04:00"


def test_feeds_are_byte_identical_across_two_builds(built: Path, tmp_path: Path) -> None:
    site = built.parent
    build(site, out_dir=str(tmp_path / "again"))
    for tier in ("public", "members"):
        assert feed_files(tmp_path / "again" / tier) == feed_files(built / tier)


def test_json_feed_follows_the_1_1_spec(built: Path) -> None:
    for tier in ("public", "members"):
        feed = json.loads((built / tier / "feeds" / "feed.json").read_text())
        assert feed["version"] == "https://jsonfeed.org/version/1.1"
        assert isinstance(feed["title"], str) and feed["title"]
        assert feed["feed_url"] == "https://canary.example.com/feeds/feed.json"
        assert feed["home_page_url"] == "https://canary.example.com/"
        allowed = {"id", "url", "external_url", "title", "content_html", "content_text", "summary", "image",
                   "banner_image", "date_published", "date_modified", "authors", "tags", "language",
                   "attachments"}
        for item in feed["items"]:
            assert set(item) <= allowed
            assert isinstance(item["id"], str) and item["id"]
            assert item.get("content_html") or item.get("content_text")
            assert item["date_published"].startswith("2026-10-")
            assert all(set(a) <= {"name", "url", "avatar"} for a in item["authors"])



def test_json_feed_items_carry_the_posts_social_image(built: Path) -> None:
    """A feed reader shows the same picture as a link preview: the post's `image`, absolute, in both tiers."""
    for tier in ("public", "members"):
        items = {i["title"]: i for i in json.loads((built / tier / "feeds" / "feed.json").read_text())["items"]}
        assert items["Plus post without a description"]["image"] == "https://canary.example.com/images/public-chart.svg"
        assert "image" not in items["A free note"]  # no `image` in its front matter: none invented
    assert (built / "public" / "images" / "public-chart.svg").exists()


POSTS = {
    "content/posts/2026/free.md": """\
        ---
        title: "Free one"
        date: 2026-03-01
        tags: [macro]
        ---

        Free body.
        """,
    "content/posts/2026/paid.md": """\
        ---
        title: "Paid one"
        date: 2026-03-02
        tier: plus
        teaser: 3
        tags: [macro]
        ---

        Three public words zqsecretword and more.
        """,
}


def test_title_only_public_items(write_site: Callable[..., Path]) -> None:
    site = write_site(POSTS, toml=MINIMAL_TOML + '\n[feeds]\npublic_plus = "title"\n')
    build(site)
    public = site / "output" / "public"
    for path in ("feeds/rss.xml", "feeds/atom.xml", "tags/macro/rss.xml"):
        entries = {e.title: e for e in parse((public / path).read_bytes()).entries}
        assert "content" not in entries["Paid one"] and "summary" not in entries["Paid one"], path
        assert entries["Paid one"].link == "https://letter.example.com/2026/03/paid/"
        assert "Free body." in entries["Free one"].content[0].value
    jf = json.loads((public / "feeds" / "feed.json").read_text())
    assert "Three public words" not in json.dumps(jf)
    members = (site / "output" / "members" / "feeds" / "rss.xml").read_text()
    assert "zqsecretword" in members


def test_an_essay_naming_no_author_is_the_publications_so_atom_stays_valid(write_site: Callable[..., Path]) -> None:
    """RFC 4287 wants an author on every entry or on the feed; JSON-LD an author on every article."""
    site = write_site(POSTS)
    build(site)
    for tier in ("public", "members"):
        atom = etree.fromstring((site / "output" / tier / "feeds" / "atom.xml").read_bytes())
        ns = {"a": "http://www.w3.org/2005/Atom"}
        assert atom.xpath("/a:feed/a:author/a:name/text()", namespaces=ns) == ["Test Letter"]
        assert all(not entry.xpath("a:author", namespaces=ns) for entry in atom.xpath("//a:entry", namespaces=ns))
        page = (site / "output" / tier / "2026" / "03" / "free" / "index.html").read_text()
        ld = json.loads(page.split('<script type="application/ld+json">')[1].split("</script>")[0])
        assert ld["author"] == [ld["publisher"]] and ld["publisher"]["name"] == "Test Letter"


def test_members_teaser_mode_borrows_the_public_teaser(write_site: Callable[..., Path]) -> None:
    site = write_site(POSTS, toml=MINIMAL_TOML + '\n[feeds]\nmembers_plus = "teaser"\n')
    build(site)
    for path in ("feeds/rss.xml", "feeds/feed.json"):
        data = (site / "output" / "members" / path).read_text()
        assert "Three public words" in data and "Members read on" in data and "zqsecretword" not in data


def test_item_count_is_configurable(write_site: Callable[..., Path]) -> None:
    site = write_site(POSTS, toml=MINIMAL_TOML + "\n[feeds]\nitems = 1\n")
    build(site)
    for path in ("feeds/rss.xml", "feeds/atom.xml", "tags/macro/atom.xml"):
        assert [e.title for e in parse((site / "output" / "public" / path).read_bytes()).entries] == ["Paid one"]
    assert len(json.loads((site / "output" / "public" / "feeds" / "feed.json").read_text())["items"]) == 1


def test_relative_links_and_images_become_absolute(write_site: Callable[..., Path]) -> None:
    toml = MINIMAL_TOML.replace('base_url = "https://letter.example.com"', 'base_url = "https://host.example/blog"')
    site = write_site({"content/posts/2026/links.md": """\
        ---
        title: "Links"
        date: 2026-03-01
        ---

        [sibling](../other/) [rooted](/blog/about/) [note](#part) [mail](mailto:a@b.example) [q](x/?a=1&b=2)
        ![chart](chart.svg)

        <img src='pic.png' srcset="small.png 1x, /blog/big.png 2x"> <a href=bare.html>bare</a>

        Code stays as written: `<a href='code/'>` and `href="code/"`.
        """}, toml=toml)
    build(site)
    for path in ("feeds/rss.xml", "feeds/atom.xml"):
        html = raw_contents((site / "output" / "public" / path).read_bytes())[0]
        page = "https://host.example/blog/2026/03/links/"
        for url in ("https://host.example/blog/2026/03/other/", "https://host.example/blog/about/",
                    f"{page}#part", "mailto:a@b.example", f"{page}x/?a=1&amp;b=2", f"{page}chart.svg",
                    f"{page}pic.png", f"{page}small.png 1x, https://host.example/blog/big.png 2x",
                    f'href="{page}bare.html"'):
            assert url in html, (path, url)
        assert "<code>&lt;a href='code/'&gt;</code> and <code>href=&quot;code/&quot;</code>" in html
    jf = json.loads((site / "output" / "public" / "feeds" / "feed.json").read_text())
    assert jf["feed_url"] == "https://host.example/blog/feeds/feed.json"
    assert 'src="https://host.example/blog/2026/03/links/chart.svg"' in jf["items"][0]["content_html"]


HOSTILE = "Rates ]]> & <b>bold</b> \u2028 line\u2029 \x0b end"


def test_hostile_text_in_titles_and_bodies_stays_well_formed(write_site: Callable[..., Path]) -> None:
    escaped_title = HOSTILE.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("\x0b", "\\v")
    site = write_site({"content/posts/2026/hostile.md": f"""\
        ---
        title: "{escaped_title}"
        date: 2026-03-01
        tags: ["a]]>b & <c>"]
        tier: plus
        teaser: 40
        description: "desc ]]> & <i>"
        ---

        Body with ]]> and & and <script>x</script> and \u2028 and `]]>` in code.

        ```
        <![CDATA[ nested ]]>
        ```

        And then the members-only part: {"words of the paid analysis " * 10}
        """}, toml=MINIMAL_TOML.replace('name = "Ann Analyst"', 'name = "Ann ]]> & <Analyst>"'))
    build(site)
    public = site / "output" / "public"
    files = feed_files(public)
    assert "tags/a-b-c/rss.xml" in files
    for path, data in files.items():
        if path.endswith(".xml"):
            root = etree.fromstring(data)
            titles = [t.text for t in root.iter("title", "{http://www.w3.org/2005/Atom}title")]
            assert HOSTILE.replace("\x0b", "") in titles, path
            entry = parse(data).entries[0]
            assert "Body with ]]&gt; and &amp; and" in entry.content[0].value
            assert "&lt;![CDATA[ nested ]]&gt;" in entry.content[0].value
        else:
            item = json.loads(data)["items"][0]
            assert item["title"] == HOSTILE
            assert "&lt;![CDATA[ nested ]]&gt;" in item["content_html"]


def test_an_empty_site_has_feeds_dated_by_source_date_epoch(write_site: Callable[..., Path],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    site = write_site({"content/pages/about.md": "---\ntitle: About\n---\n\nHi.\n"})
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    build(site)
    rss = parse((site / "output" / "public" / "feeds" / "rss.xml").read_bytes())
    assert rss.entries == [] and rss.feed.updated == "Thu, 01 Jan 2026 00:00:00 +0000"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    build(site)
    atom = parse((site / "output" / "public" / "feeds" / "atom.xml").read_bytes())
    assert atom.feed.updated == "1970-01-01T00:00:00+00:00"


MEMBERS_URL = "https://members.canary.example.com"


@pytest.fixture(scope="module")
def built_for_members_url(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiers site with `members_url`: the members build is deployed at another address."""
    site = tmp_path_factory.mktemp("members-url") / "tiers"
    shutil.copytree(SITES / "tiers", site)
    toml = (site / "site.toml").read_text()
    (site / "site.toml").write_text(toml.replace('base_url = "https://canary.example.com"\n',
                                                 f'base_url = "https://canary.example.com"\n'
                                                 f'members_url = "{MEMBERS_URL}/"\n'))
    build(site)
    return site / "output"


def test_members_feeds_send_readers_to_members_url(built_for_members_url: Path) -> None:
    members = built_for_members_url / "members"
    for path in ("feeds/rss.xml", "feeds/atom.xml", f"feeds/{TOKEN}/rss.xml", f"feeds/{TOKEN}/atom.xml",
                 "tags/rates/rss.xml", "authors/ann/atom.xml"):
        parsed = parse((members / path).read_bytes())
        assert parsed.entries, path
        assert all(e.link.startswith(f"{MEMBERS_URL}/2026/") for e in parsed.entries), path
        assert [link.href for link in parsed.feed.links if link.rel == "self"] == [f"{MEMBERS_URL}/{path}"]
        if path.endswith("atom.xml"):  # its own address, not its RSS twin's (the two share a generator)
            assert parsed.feed.id == f"{MEMBERS_URL}/{path}"
        assert parsed.feed.link == f"{MEMBERS_URL}/" + ("" if path.startswith("feeds/") else path.rsplit("/", 1)[0] + "/")
        # an item's id stays its public permalink: a reader following both feeds sees each post once
        assert all(e.id.startswith("https://canary.example.com/2026/") for e in parsed.entries), path
    for folder in ("feeds", f"feeds/{TOKEN}"):
        feed = json.loads((members / folder / "feed.json").read_text())
        assert feed["home_page_url"] == f"{MEMBERS_URL}/"
        assert feed["feed_url"] == f"{MEMBERS_URL}/{folder}/feed.json"
        assert all(i["url"].startswith(f"{MEMBERS_URL}/2026/") and i["id"].startswith("https://canary.example.com/2026/")
                   for i in feed["items"])
        assert all(a["url"] == f"{MEMBERS_URL}/authors/ann/" for i in feed["items"] for a in i["authors"])
    full = "".join(raw_contents((members / "feeds" / "rss.xml").read_bytes()))
    assert f'src="{MEMBERS_URL}/images/zqcanary-chart.svg"' in full  # only the members build has it


def test_members_url_changes_only_the_members_feeds(built: Path, built_for_members_url: Path) -> None:
    """The public build is byte for byte the same, and so is every members page: canonical links, og:url and
    JSON-LD still name the public twin."""
    assert read_tree(built_for_members_url / "public") == read_tree(built / "public")
    before, after = read_tree(built / "members"), read_tree(built_for_members_url / "members")
    assert set(before) == set(after)
    changed = sorted(path for path in before if before[path] != after[path])
    assert changed and all(path.endswith((".xml", "feed.json")) and path != "sitemap.xml" for path in changed)
    page = after["2026/10/plus-marker/index.html"].decode()
    assert '<link rel="canonical" href="https://canary.example.com/2026/10/plus-marker/">' in page
    assert MEMBERS_URL not in page


def test_without_members_url_the_members_feeds_use_base_url(built: Path) -> None:
    rss = parse((built / "members" / "feeds" / "rss.xml").read_bytes())
    assert all(e.link.startswith("https://canary.example.com/2026/") for e in rss.entries)


def test_a_token_feed_without_members_url_is_warned_of(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "tiers"
    shutil.copytree(SITES / "tiers", site)
    assert main(["build", str(site), "--quiet"]) == 0
    assert "members_url is not set, so the members' token feed gives its own address as " \
           "https://canary.example.com/feeds/TOKEN/ on the public site" in capsys.readouterr().err
    toml = (site / "site.toml").read_text()
    (site / "site.toml").write_text(toml.replace('base_url = "https://canary.example.com"\n',
                                                 f'base_url = "https://canary.example.com"\nmembers_url = "{MEMBERS_URL}/"\n'))
    assert main(["build", str(site), "--quiet"]) == 0
    assert "token feed" not in capsys.readouterr().err


def test_the_members_token_may_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    # a CI secret rather than a line of site.toml in the repository
    site = tmp_path / "tiers"
    shutil.copytree(SITES / "tiers", site)
    monkeypatch.setenv("TEARSHEET_MEMBERS_TOKEN", "zqsecret-from-ci-0123")
    assert main(["build", str(site), "--quiet"]) == 0
    assert (site / "output" / "members" / "feeds" / "zqsecret-from-ci-0123" / "rss.xml").exists()
    assert not (site / "output" / "members" / "feeds" / TOKEN).exists()
    assert not any(b"zqsecret" in data or "zqsecret" in path for path, data in read_tree(site / "output" / "public").items())
    monkeypatch.setenv("TEARSHEET_MEMBERS_TOKEN", "short")
    assert main(["build", str(site), "--quiet"]) == 1
    assert "the TEARSHEET_MEMBERS_TOKEN environment variable must be 8 or more letters" in capsys.readouterr().err


def test_the_public_footer_links_the_feed_and_the_members_one_does_not(built: Path) -> None:
    # a visible feed link for readers; the members feed is behind the login that feed readers cannot pass
    assert '<a href="/feeds/rss.xml" type="application/rss+xml">RSS</a>' in (built / "public" / "index.html").read_text()
    assert ">RSS</a>" not in (built / "members" / "index.html").read_text()


def test_feeds_of_a_tag_in_another_script_give_their_addresses_as_uris(write_site: Callable[..., Path]) -> None:
    site = write_site({"content/posts/yen.md": '---\ntitle: Yen\ndate: 2026-01-05\ntags: ["日本銀行"]\n---\n\nHi.\n'})
    build(site)
    folder = site / "output" / "public" / "tags" / "日本銀行"
    encoded = "https://letter.example.com/tags/%E6%97%A5%E6%9C%AC%E9%8A%80%E8%A1%8C/"
    rss = parse((folder / "rss.xml").read_bytes())
    assert rss.feed.link == encoded and [link.href for link in rss.feed.links if link.rel == "self"] == [encoded + "rss.xml"]
    assert rss.entries[0].link == "https://letter.example.com/2026/01/yen/"  # item links and ids as they were
