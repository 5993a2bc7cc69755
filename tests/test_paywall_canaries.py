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


# A NUL byte: the audit skips binary files, so only leaving the file out of public/ keeps it from the public.
BINARY = b"\x89PNG\r\n\x1a\n\x00\x00zqcanary member-only chart"
RAW_FORMS = {  # raw HTML naming a file under content/, {f} standing for the file's name
    "img srcset": '<img srcset="/images/x.png 1x, /images/{f} 2x" alt="">',
    "img srcset, no spaces": "<img srcset='/images/{f} 640w,/images/x.png 1280w' sizes=50vw alt=\"\">",
    "picture source srcset": '<picture><source srcset="/images/{f}" type="image/png"><img src="/images/x.png" '
                             'alt=""></picture>',
    "video poster": '<video poster="/images/{f}" controls></video>',
    "a href, unquoted": "<a href=/images/{f}>the report</a>",
    "object data": '<object data="/images/{f}" type="image/png"></object>',
    "lazy data-src": '<img data-src="/images/{f}" alt="">',
    "css url()": '<div style="background-image: url(&quot;/images/{f}&quot;)"></div>',
}
RAW_POST = """\
---
title: "Raw"
date: 2026-10-07
tier: plus
---

Before the cut:{before}

<!--more-->

After the cut:{after}
"""
PLACES = {"inline": " {html}", "block": "\n\n{html}\n"}  # in a paragraph (html_inline) or on its own (html_block)


def _raw_html_site(write_site, before: str, after: str) -> Path:  # type: ignore[no-untyped-def]
    from .conftest import MINIMAL_TOML

    site = write_site({"content/images/x.png": BINARY, "content/images/zqcanary-desk.png": BINARY,
                       "content/posts/2026/raw.md": RAW_POST.format(before=before, after=after)},
                      toml=MINIMAL_TOML)
    build(site)
    return site / "output"


@pytest.mark.parametrize("place", sorted(PLACES))
@pytest.mark.parametrize("form", sorted(RAW_FORMS))
def test_a_file_only_raw_html_after_the_cut_names_stays_out_of_public(write_site, form: str,  # type: ignore[no-untyped-def]
                                                                      place: str) -> None:
    raw = PLACES[place].format(html=RAW_FORMS[form].format(f="zqcanary-desk.png"))
    out = _raw_html_site(write_site, before=" words.", after=raw)
    assert not (out / "public" / "images" / "zqcanary-desk.png").exists()
    assert (out / "members" / "images" / "zqcanary-desk.png").exists()
    assert "zqcanary-desk.png" in (out / "members" / "2026" / "10" / "raw" / "index.html").read_text()


@pytest.mark.parametrize("place", sorted(PLACES))
@pytest.mark.parametrize("form", sorted(RAW_FORMS))
def test_a_file_raw_html_in_the_teaser_names_is_in_public(write_site, form: str,  # type: ignore[no-untyped-def]
                                                          place: str) -> None:
    raw = PLACES[place].format(html=RAW_FORMS[form].format(f="zqcanary-desk.png"))
    out = _raw_html_site(write_site, before=raw, after=" more words.")
    assert (out / "public" / "images" / "zqcanary-desk.png").exists()
    assert "zqcanary-desk.png" in (out / "public" / "2026" / "10" / "raw" / "index.html").read_text()
