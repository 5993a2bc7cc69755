"""Nothing after the cut of a plus post reaches output/public; everything reaches output/members."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import build, read_tree

CANARY = re.compile(rb"zqcanary", re.IGNORECASE)
BLOCK_KINDS = ("heading", "para", "bold", "strike", "list", "nested", "deeper", "ordered", "quote",
               "tablehead", "tablecell", "fence", "indented", "rawhtml", "inlinehtml", "code", "linktext",
               "href", "linktitle", "alt", "caption", "footnote")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import shutil

    from .conftest import SITES

    site = tmp_path_factory.mktemp("canary") / "tiers"
    shutil.copytree(SITES / "tiers", site)
    build(site)
    return site / "output"


def test_no_member_only_text_anywhere_under_public(built: Path) -> None:
    leaks = {path: CANARY.findall(data)[:3] for path, data in read_tree(built / "public").items()
             if CANARY.search(data) or CANARY.search(path.encode())}
    assert leaks == {}


@pytest.mark.parametrize("teaser", ["w", "m", "z"])
@pytest.mark.parametrize("kind", BLOCK_KINDS)
def test_members_build_has_every_canary(built: Path, teaser: str, kind: str) -> None:
    slug = {"w": "plus-words", "m": "plus-marker", "z": "plus-zero"}[teaser]
    page = (built / "members" / "2026" / "10" / slug / "index.html").read_text()
    assert f"zqcanary{teaser}{kind}" in page


def test_image_used_only_after_the_cut_stays_out_of_public(built: Path) -> None:
    assert not (built / "public" / "images" / "zqcanary-chart.svg").exists()
    assert (built / "members" / "images" / "zqcanary-chart.svg").exists()
    assert (built / "public" / "images" / "public-chart.svg").exists()


def test_public_teaser_keeps_the_public_part_and_the_prompt(built: Path) -> None:
    page = (built / "public" / "2026" / "10" / "plus-marker" / "index.html").read_text()
    assert "More public words that <em>anyone</em> may read before the cut." in page
    assert "A public footnote, referenced in the teaser." in page
    assert "Join institutional investors who read every note." in page
    assert "Try one month for FREE" in page
    assert 'href="https://canary.example.com/login"' in page


def test_teaser_zero_shows_no_body_text(built: Path) -> None:
    page = (built / "public" / "2026" / "10" / "plus-zero" / "index.html").read_text()
    body = page.split('<div class="post-body teaser">')[1].split("</div>")[0]
    assert body.strip() == ""
    assert "Members read on" in page
    assert "A public description of the zero post." in page


def test_free_post_is_whole_in_public(built: Path) -> None:
    page = (built / "public" / "2026" / "10" / "free-note" / "index.html").read_text()
    assert "zqfreetext" in page
    assert "paywall" not in page.split("<main")[1]


FEED_FOLDERS = ("feeds", "tags/rates", "tags/plus-marker", "tags/plus-words", "tags/plus-zero",
                "series/the-weekly", "authors/ann")


def test_the_public_scan_covers_every_feed_and_search_engine_file(built: Path) -> None:
    """The scan above reads these files: make sure they are there to be read, with plus posts in them."""
    public = built / "public"
    for folder in FEED_FOLDERS:
        for name in ("rss.xml", "atom.xml"):
            assert b"/2026/10/plus-" in (public / folder / name).read_bytes(), f"{folder}/{name}"
    assert b"Plus post marker" in (public / "feeds" / "feed.json").read_bytes()
    assert b"/2026/10/plus-words/" in (public / "sitemap.xml").read_bytes()
    assert (public / "robots.txt").exists()
    for slug in ("plus-marker", "plus-words", "plus-zero", "plus-nodesc"):
        page = (public / "2026" / "10" / slug / "index.html").read_text()
        assert '<script type="application/ld+json">' in page and 'property="og:description"' in page


def test_members_feeds_hold_the_text_the_public_ones_must_not(built: Path) -> None:
    members = built / "members"
    for folder in (*FEED_FOLDERS, "feeds/zqtoken-members-only-feed"):
        assert CANARY.search((members / folder / "rss.xml").read_bytes()), folder
    assert CANARY.search((members / "feeds" / "feed.json").read_bytes())
    assert not (built / "public" / "feeds" / "zqtoken-members-only-feed").exists()
