"""Inputs real sites will hold sooner or later: each builds correctly or stops with a clear error."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tearsheet.errors import SiteError

from .conftest import build

PLUS = """\
---
title: "Plus"
date: 2026-10-01T07:00:00Z
tier: plus
teaser: 5
---

"""
MEMBER = "Members alone read this long sentence about coupon auctions and the belly of the curve."


def error_of(site: Path) -> str:
    with pytest.raises(SiteError) as caught:
        build(site)
    return caught.value.report()


def public_page(site: Path, slug: str) -> str:
    return (site / "output" / "public" / "2026" / "10" / slug / "index.html").read_text(encoding="utf-8")


def test_a_byte_order_mark_before_the_front_matter_is_ignored(write_site: Callable[..., Path]) -> None:
    site = write_site({"content/posts/bom.md": b"\xef\xbb\xbf" + (PLUS + "Five public words go here. " + MEMBER).encode()})
    build(site)
    page = public_page(site, "bom")
    assert "Five public words go here" in page and "coupon" not in page


def test_a_more_marker_in_a_code_fence_is_text_and_the_first_of_two_wins(write_site: Callable[..., Path]) -> None:
    fenced = PLUS + "One two three four five.\n\n```\n<!--more-->\n```\n\n" + MEMBER + "\n"
    twice = (PLUS + "Before the first marker.\n\n<!--more-->\n\nBetween the markers, members only.\n\n"
             "<!-- more -->\n\n" + MEMBER + "\n")
    site = write_site({"content/posts/fenced.md": fenced, "content/posts/twice.md": twice})
    build(site)
    assert "One two three four five" in public_page(site, "fenced")
    assert "&lt;!--more--&gt;" not in public_page(site, "fenced")  # the fence is past the 5 words
    page = public_page(site, "twice")
    assert "Before the first marker." in page
    assert "Between the markers" not in page and "coupon" not in page


def test_two_slugs_differing_only_by_case_are_an_error(write_site: Callable[..., Path]) -> None:
    post = PLUS.replace("tier: plus", "tier: free") + "Words.\n"
    site = write_site({"content/posts/Rates.md": post, "content/posts/rates.md": post})
    assert "/2026/10/rates/ is also the URL of content/posts/" in error_of(site)
    site = write_site({"content/posts/a.md": post.replace("---\n\n", "slug: Rates\n---\n\n")})
    assert 'gives the slug "Rates", which is not lowercase' in error_of(site)


def test_a_big_post_builds_in_bounded_time_and_memory(write_site: Callable[..., Path]) -> None:
    # 5 MB here to keep the suite quick; 50 MB, measured by hand, builds in about 30 s and 1.1 GB.
    paragraph = " ".join(f"word{i % 997}" for i in range(120))
    body = "\n\n".join([paragraph] * (5_000_000 // len(paragraph)))
    site = write_site({"content/posts/big.md": PLUS + body + "\n"})
    start = time.perf_counter()
    build(site, jobs=1)
    assert time.perf_counter() - start < 60
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 2_000_000  # KiB: under 2 GB
    assert (site / "output" / "public" / "2026" / "10" / "big" / "index.html").stat().st_size < 100_000


@pytest.mark.parametrize("depth_form", ["compact", "indented", "quotes"])
def test_a_10000_deep_nesting_builds_quickly_and_keeps_its_words(write_site: Callable[..., Path],
                                                                depth_form: str) -> None:
    deep = {"compact": "- " * 10_000 + "zqdeepest",
            "indented": "\n".join("  " * i + f"- level{i}" for i in range(1_000)) + "\n" + "  " * 1_000 + "- zqdeepest",
            "quotes": ">" * 10_000 + " zqdeepest"}[depth_form]
    site = write_site({"content/posts/deep.md": PLUS + "Five public words go here.\n\n" + deep + "\n\n" + MEMBER})
    start = time.perf_counter()
    build(site, jobs=1)
    assert time.perf_counter() - start < 30
    members = (site / "output" / "members" / "2026" / "10" / "deep" / "index.html").read_text()
    assert "zqdeepest" in members and "coupon auctions" in members  # nothing silently dropped
    assert "zqdeepest" not in public_page(site, "deep")


def test_symlinks_out_of_the_site_are_refused(write_site: Callable[..., Path], tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("not for the site")
    site = write_site({"content/posts/free.md": PLUS.replace("plus", "free") + "Words.\n"})
    (site / "content" / "secret.txt").symlink_to(outside / "secret.txt")
    (site / "content" / "folder").symlink_to(outside)
    report = error_of(site)
    assert "content/secret.txt: symbolic link points outside the site" in report
    assert "content/folder: symbolic link points outside the site" in report
    assert not (site / "output" / "public").exists()


def test_a_symlink_to_the_members_output_is_stopped_by_the_audit(write_site: Callable[..., Path]) -> None:
    site = write_site({"content/posts/p.md": PLUS + "Five public words go here. " + MEMBER + "\n",
                       "content/posts/free.md": "---\ntitle: Free\ndate: 2026-09-01\n---\n\nThe [copy](/copy.html).\n"})
    build(site)
    (site / "content" / "copy.html").symlink_to(site / "output" / "members" / "2026" / "10" / "p" / "index.html")
    assert "public/copy.html: leaks member-only text of content/posts/p.md" in error_of(site)


def test_a_dangling_symlink_is_a_clear_error(write_site: Callable[..., Path]) -> None:
    site = write_site({"content/posts/free.md": PLUS.replace("plus", "free") + "Words.\n"})
    (site / "content" / "gone.png").symlink_to(site / "content" / "nothing-here.png")
    (site / "content" / "posts" / "gone.md").symlink_to(site / "content" / "posts" / "nothing.md")
    report = error_of(site)
    assert "content/gone.png: symbolic link points to nothing" in report
    assert "content/posts/gone.md: symbolic link points to nothing" in report


def test_a_named_pipe_is_a_clear_error_not_a_build_that_waits_for_ever(write_site: Callable[..., Path]) -> None:
    site = write_site({"content/posts/free.md": PLUS.replace("plus", "free") + "Words.\n"})
    os.mkfifo(site / "content" / "notes.txt")  # reading it would wait for a writer
    assert "content/notes.txt: is not a file but a named pipe, socket or device" in error_of(site)
    (site / "content" / "notes.txt").unlink()
    (site / "static").mkdir()
    os.mkfifo(site / "static" / "feed.txt")
    assert "static/feed.txt: is not a file but a named pipe, socket or device" in error_of(site)
    (site / "static" / "feed.txt").unlink()
    (site / "templates").mkdir()
    os.mkfifo(site / "templates" / "notes.html")
    assert "templates/notes.html: is not a file but a named pipe, socket or device" in error_of(site)


@pytest.mark.parametrize(("data", "message"), [
    (b"---\ntitle: x\ndate: 2026-02-30\n---\nbody\n", "3: `date` has an impossible value: day is out of range"),
    (b"---\ntitle: x\ndate: 2026-01-01\nupdated: 2026-13-01\n---\n", "4: `updated` has an impossible value: month must be in 1..12"),
    (b"---\ntitle: x\ndate: 2026-01-01T10:00:00+25:00\n---\n", "3: `date` has an impossible value"),
    (b"---\ntitle: x\ndate: 0000-01-01\n---\n", "3: `date` has an impossible value: year 0"),
    (b"---\n- item: 2026-02-30\n---\n", "2: front matter has an impossible value"),  # found by the fuzzer
    (b"---\ntitle: x\ndate: 2026-01-01\x00\n---\n", "not a text file (it contains NUL bytes)"),
    (b"---\ntitle: \xff\n---\n", "2: not UTF-8 text (byte 0xff at offset 11)"),
    (b"---\ntitle: x\ndate: 2026-01-01\n", "front matter is not closed"),
    (b"\n\n\n", "file is empty"),
])
def test_front_matter_the_calendar_or_codec_rejects_is_a_clear_error(write_site: Callable[..., Path], data: bytes,
                                                                    message: str) -> None:
    site = write_site({"content/posts/bad.md": data})
    assert message in error_of(site)


def test_a_site_toml_nested_too_deep_is_a_clear_error(write_site: Callable[..., Path]) -> None:
    site = write_site({}, toml="title = 'x'\na = " + "[" * 5000 + "]" * 5000 + "\n")
    assert "site.toml: site.toml nests arrays or tables too deeply to read" in error_of(site)


def test_a_permalink_with_a_stray_brace_is_a_clear_error(write_site: Callable[..., Path]) -> None:
    from .conftest import MINIMAL_TOML

    site = write_site({"content/posts/p.md": PLUS + "Words.\n"}, toml='permalink = "/{slug}}/"\n' + MINIMAL_TOML)
    assert "permalink" in error_of(site)


def test_the_working_folder_is_not_left_with_stray_files(write_site: Callable[..., Path]) -> None:
    site = write_site({"content/posts/p.md": PLUS + "Five public words go here. " + MEMBER + "\n"})
    build(site)
    assert sorted(os.listdir(site / "output")) == ["members", "public"]
