"""What an author sees with `tearsheet serve` open beside the editor, in Debian's chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .test_serve import serve_in_background, wait_for

pytestmark = pytest.mark.browser
FREE_POST = "/2026/10/free-note/"
PLUS_POST = "/2026/10/plus-marker/"
WAIT_MS = 20_000  # generous: a loaded machine (a CI runner, a second test run) rebuilds slowly; a pass takes ~1 s


@pytest.fixture
def served_site(copy_site):  # type: ignore[no-untyped-def]
    yield from serve_in_background(copy_site("tiers"))


@pytest.fixture
def page(chromium):  # type: ignore[no-untyped-def]
    context = chromium.new_context(viewport={"width": 1100, "height": 800})
    yield context.new_page()
    context.close()


def test_an_edit_shows_up_without_reloading_by_hand(page, served_site) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    site, port, _ = served_site
    page.goto(f"http://127.0.0.1:{port}{FREE_POST}")
    expect(page.locator("body")).to_contain_text("zqfreetext")
    post = site / "content/posts/2026/free-note.md"
    post.write_text(post.read_text().replace("zqfreetext", "zqfreetext and zqlive-edit words"))
    expect(page.locator("body")).to_contain_text("zqlive-edit words", timeout=WAIT_MS)
    assert page.url == f"http://127.0.0.1:{port}{FREE_POST}"


def test_a_broken_file_shows_an_overlay_over_the_last_good_page_until_fixed(page, served_site) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    site, port, _ = served_site
    page.goto(f"http://127.0.0.1:{port}{FREE_POST}")
    overlay = page.locator("#tearsheet-preview .tsp-overlay")
    expect(overlay).to_be_hidden()
    post = site / "content/posts/2026/free-note.md"
    good = post.read_text()
    post.write_text(good.replace("---\n", "---\ntier: premium\n", 1).replace("zqfreetext", "zqnever-shown"))
    expect(overlay).to_be_visible(timeout=WAIT_MS)
    expect(overlay).to_contain_text('content/posts/2026/free-note.md:2: tier must be "free" or "plus"')
    expect(page.locator("main")).to_contain_text("zqfreetext")  # the last good build stays
    assert "zqnever-shown" not in page.locator("body").inner_text()
    post.write_text(good.replace("zqfreetext", "zqfixed-text"))
    expect(page.locator("main")).to_contain_text("zqfixed-text", timeout=WAIT_MS)
    expect(overlay).to_be_hidden()


def test_a_page_opened_while_broken_shows_the_overlay_at_once(page, served_site) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    site, port, logged = served_site
    (site / "site.toml").write_text("posts_per_pgae = 3\n" + (site / "site.toml").read_text())
    wait_for(lambda: any(m.startswith("error: site.toml:") for m in logged), "the site.toml error")
    page.goto(f"http://127.0.0.1:{port}/")
    overlay = page.locator("#tearsheet-preview .tsp-overlay")
    expect(overlay).to_be_visible()
    expect(overlay).to_contain_text('site.toml:1: unknown key "posts_per_pgae"')
    expect(overlay).to_contain_text("posts_per_page")  # the did-you-mean hint


def test_the_switch_flips_a_plus_post_between_public_and_members(page, served_site) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    _, port, _ = served_site
    base = f"http://127.0.0.1:{port}"
    page.goto(base + PLUS_POST)
    body = page.locator("body")
    expect(body).to_contain_text("Public opening words")
    assert "zqcanarympara" not in body.inner_text()
    switch = page.locator("#tearsheet-preview .tsp-switch")
    expect(switch).to_be_visible()
    switch.get_by_role("link", name="Members").click()
    expect(page).to_have_url(base + "/_members" + PLUS_POST)
    expect(body).to_contain_text("zqcanarympara")
    page.locator("main a[href^='/']").first.click()  # links inside the members view stay in it
    expect(page).to_have_url(re.compile(re.escape(base) + "/_members/"))
    page.goto(base + "/_members" + PLUS_POST)
    page.locator("#tearsheet-preview .tsp-switch").get_by_role("link", name="Public").click()
    expect(page).to_have_url(base + PLUS_POST)
    assert "zqcanarympara" not in body.inner_text()


def test_the_preview_snippet_never_reaches_the_built_files(page, served_site) -> None:  # type: ignore[no-untyped-def]
    site, port, _ = served_site
    page.goto(f"http://127.0.0.1:{port}{FREE_POST}")
    built = site / ".tearsheet-preview" / "public" / FREE_POST.strip("/") / "index.html"
    assert b"tearsheet-preview" not in Path(built).read_bytes()
    assert page.locator("#tearsheet-preview").count() == 1


def test_an_edit_keeps_the_scroll_position(page, served_site) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    site, port, _ = served_site
    post = site / "content/posts/2026/free-note.md"
    long = post.read_text() + "".join(f"\nParagraph {n} of a long essay, zqlong{n}.\n" for n in range(120))
    post.write_text(long)
    page.goto(f"http://127.0.0.1:{port}{FREE_POST}")
    expect(page.locator("main")).to_contain_text("zqlong119", timeout=WAIT_MS)
    page.wait_for_load_state("load")
    page.evaluate("window.scrollTo(0, 2000)")
    post.write_text(long + "\nzqat-the-end words.\n")
    expect(page.locator("main")).to_contain_text("zqat-the-end", timeout=WAIT_MS)
    page.wait_for_function("window.scrollY === 2000", timeout=WAIT_MS)


def test_more_open_tabs_than_a_browser_gives_a_server_connections(chromium, served_site) -> None:  # type: ignore[no-untyped-def]
    """Each tab listening on its own connection would use up the six a browser allows: the seventh never loads."""
    from playwright.sync_api import expect

    site, port, _ = served_site
    context = chromium.new_context()
    try:
        tabs = []
        for n in range(8):
            tab = context.new_page()
            tab.goto(f"http://127.0.0.1:{port}{'/_members' if n % 2 else ''}{FREE_POST}", timeout=5_000)
            tabs.append(tab)
        post = site / "content/posts/2026/free-note.md"
        post.write_text(post.read_text().replace("zqfreetext", "zqfreetext zqevery-tab"))
        for tab in tabs:
            expect(tab.locator("main")).to_contain_text("zqevery-tab", timeout=WAIT_MS)
    finally:
        context.close()


def test_a_browser_without_shared_workers_still_reloads(page, served_site) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    site, port, _ = served_site
    page.add_init_script("delete window.SharedWorker")
    page.goto(f"http://127.0.0.1:{port}{FREE_POST}")
    assert page.evaluate("typeof SharedWorker") == "undefined"
    post = site / "content/posts/2026/free-note.md"
    post.write_text(post.read_text().replace("zqfreetext", "zqfreetext zqno-worker"))
    expect(page.locator("main")).to_contain_text("zqno-worker", timeout=WAIT_MS)


def test_deleting_the_open_post_shows_the_404_page_until_it_is_back(page, served_site) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    site, port, _ = served_site
    page.goto(f"http://127.0.0.1:{port}{FREE_POST}")
    post = site / "content/posts/2026/free-note.md"
    text = post.read_text()
    post.unlink()
    expect(page.locator("main")).not_to_contain_text("zqfreetext", timeout=WAIT_MS)
    assert page.request.get(page.url).status == 404
    post.write_text(text)
    expect(page.locator("main")).to_contain_text("zqfreetext", timeout=WAIT_MS)
    assert page.url == f"http://127.0.0.1:{port}{FREE_POST}"


def test_only_tabs_whose_page_changed_reload(chromium, served_site) -> None:  # type: ignore[no-untyped-def]
    """A body edit: its post's tab reloads once (the fast render), a tab on an unrelated page not at all."""
    from playwright.sync_api import expect

    site, port, logged = served_site
    context = chromium.new_context()
    try:
        post_tab, about_tab = context.new_page(), context.new_page()
        post_tab.goto(f"http://127.0.0.1:{port}{FREE_POST}")
        about_tab.goto(f"http://127.0.0.1:{port}/about/")
        for tab in (post_tab, about_tab):
            tab.wait_for_timeout(300)  # the reload channel connects
            tab.evaluate("window.zqsameDocument = true")
        post = site / "content/posts/2026/free-note.md"
        post.write_text(post.read_text() + "\nzqonly-this-tab paragraph.\n")
        expect(post_tab.locator("main")).to_contain_text("zqonly-this-tab", timeout=WAIT_MS)
        post_tab.evaluate("window.zqsameDocument = true")  # the document the fast render's reload brought
        wait_for(lambda: any(m.startswith("Rebuilt") for m in logged), "the full rebuild")
        post_tab.wait_for_timeout(500)
        assert post_tab.evaluate("window.zqsameDocument === true"), "the post's tab reloaded a second time"
        assert about_tab.evaluate("window.zqsameDocument === true"), "an unrelated tab reloaded"
    finally:
        context.close()
