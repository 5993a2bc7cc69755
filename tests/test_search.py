"""Search: a Pagefind index per tier; the public one knows only what the public pages show."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from tearsheet.cli import main
from tearsheet.errors import SiteError
from tearsheet.search import find_pagefind

from .conftest import SITES, build, read_tree

pytestmark = pytest.mark.skipif(find_pagefind() is None and not os.environ.get("CI"),
                                reason="the pagefind binary is not installed (pip install 'pagefind[bin]')")

POST = "---\ntitle: {title}\ndate: 2026-10-01\n{extra}---\n{body}\n"


def index_text(tier_dir: Path) -> bytes:
    """Every file of a tier's search index, decompressed (Pagefind gzips its index and fragments)."""
    parts = []
    for _path, data in sorted(read_tree(tier_dir / "pagefind").items()):
        parts.append(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
    return b"\n".join(parts)


def fragments(tier_dir: Path) -> dict[str, dict]:  # type: ignore[type-arg]
    """The indexed pages: {url: fragment record}."""
    found = {}
    for data in read_tree(tier_dir / "pagefind" / "fragment").values():
        text = gzip.decompress(data)
        record = json.loads(text[text.index(b"{"):])
        found[record["url"]] = record
    return found


@pytest.fixture(scope="module")
def tiers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("search") / "tiers"
    shutil.copytree(SITES / "tiers", site)
    build(site)
    return site / "output"


def test_public_index_holds_no_member_only_canary(tiers: Path) -> None:
    public = index_text(tiers / "public")
    assert b"zqfreetext" in public  # the index is readable: a free post's words are in it
    assert b"anyone" in public  # and a plus post's teaser
    assert re.findall(rb"zqcanary\w*", public, re.IGNORECASE) == []


def test_members_index_holds_the_full_text(tiers: Path) -> None:
    members = index_text(tiers / "members")
    for word in (b"zqcanarywpara", b"zqcanarympara", b"zqcanarymtablecell", b"zqcanaryzlist"):
        assert word in members


def test_only_posts_and_pages_are_indexed(tiers: Path) -> None:
    for tier in ("public", "members"):
        urls = set(fragments(tiers / tier))
        assert "/2026/10/plus-marker/" in urls and "/about/" in urls
        assert not any(u.startswith(("/tags/", "/archive/", "/series/", "/authors/", "/page/")) for u in urls)
        assert "/" not in urls and "/search/" not in urls


def test_paywall_prompt_is_not_indexed_as_post_text(tiers: Path) -> None:
    record = fragments(tiers / "public")["/2026/10/plus-marker/"]
    assert "anyone" in record["content"]
    assert "Join institutional investors" not in record["content"]


def test_search_page_and_nav_link(tiers: Path) -> None:
    for tier in ("public", "members"):
        page = (tiers / tier / "search" / "index.html").read_text()
        assert 'src="/pagefind/pagefind-ui.js"' in page and 'id="search"' in page
        assert (tiers / tier / "pagefind" / "pagefind-ui.js").is_file()
        assert 'href="/search/"' in (tiers / tier / "index.html").read_text()


def test_site_under_a_path_points_search_at_its_root(write_site: Callable[..., Path]) -> None:
    site = write_site({"content/posts/a.md": POST.format(title="A", extra="", body="Words.")},
                      toml='base_url = "https://example.com/letter"\n')
    build(site)
    page = (site / "output/public/search/index.html").read_text()
    assert 'src="/letter/pagefind/pagefind-ui.js"' in page and 'data-base-url="/letter/"' in page


def test_search_can_be_turned_off(write_site: Callable[..., Path]) -> None:
    site = write_site({"content/posts/a.md": POST.format(title="A", extra="", body="Words.")},
                      toml="[search]\nenabled = false\n")
    result = build(site)
    assert result.warnings == ()
    public = site / "output/public"
    assert not (public / "pagefind").exists() and not (public / "search").exists()
    assert "/search/" not in (public / "index.html").read_text()


def test_missing_binary_builds_without_search_and_warns_once(write_site: Callable[..., Path],
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", "/nonexistent/pagefind")
    site = write_site({"content/posts/a.md": POST.format(title="A", extra="", body="Words.")})
    assert main(["build", str(site)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("warning: search is off for this build: the pagefind binary")
    public = site / "output/public"
    assert (public / "index.html").is_file()
    assert not (public / "pagefind").exists() and not (public / "search").exists()


def test_failed_index_swaps_nothing_in(write_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch,
                                       tmp_path: Path) -> None:
    site = write_site({"content/posts/a.md": POST.format(title="First", extra="", body="Words.")})
    build(site)
    before = read_tree(site / "output")
    broken = tmp_path / "pagefind"
    broken.write_text("#!/bin/sh\necho 'Error: out of cheese' >&2\nexit 3\n")
    broken.chmod(broken.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(broken))
    (site / "content/posts/a.md").write_text(POST.format(title="Second", extra="", body="Words."))
    with pytest.raises(SiteError) as caught:
        build(site)
    assert "the search index could not be built: Error: out of cheese" in str(caught.value)
    assert read_tree(site / "output") == before
    assert [p for p in os.listdir(site / "output") if p.startswith(".")] == []


def test_content_folder_named_pagefind_is_refused(write_site: Callable[..., Path]) -> None:
    site = write_site({"content/posts/a.md": POST.format(title="A", extra="", body="Words."),
                       "content/pagefind/notes.txt": "mine"})
    with pytest.raises(SiteError) as caught:
        build(site)
    assert str(caught.value).startswith("content/pagefind: /pagefind/ is where the search index goes")


@pytest.mark.browser
def test_a_reader_searches_the_public_site(tiers: Path, chromium, static_server) -> None:  # type: ignore[no-untyped-def]
    base = static_server(tiers / "public")
    page = chromium.new_page()
    try:
        page.goto(f"{base}/search/?q=anyone")
        page.wait_for_selector(".pagefind-ui__result-link", timeout=10_000)
        assert "/2026/10/plus-marker/" in page.inner_html(".pagefind-ui__results")
        page.fill(".pagefind-ui__search-input", "zqcanarympara")
        page.wait_for_selector(".pagefind-ui__message", timeout=10_000)
        page.wait_for_function("document.querySelectorAll('.pagefind-ui__result').length === 0", timeout=10_000)
    finally:
        page.close()
