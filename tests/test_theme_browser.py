"""What a reader sees: the default theme in a real browser, on a desktop, a phone, and in dark mode."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from .conftest import REPO, build

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).parent / "screenshots"
POST = "/2026/10/small-cap-rotation/"


@pytest.fixture(scope="module")
def sample_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("theme")
    shutil.copytree(REPO / "content", site / "content")
    if (REPO / "templates").is_dir():
        shutil.copytree(REPO / "templates", site / "templates")
    shutil.copy(REPO / "site.toml", site / "site.toml")
    build(site, now=dt.datetime(2026, 11, 25, tzinfo=dt.UTC))
    return site / "output"


def _page(chromium, url: str, **context):  # type: ignore[no-untyped-def]
    page = chromium.new_context(**context).new_page()
    page.goto(url)
    return page


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_public_plus_post_shows_teaser_then_the_paywall_card(chromium, static_server, sample_output) -> None:
    base = static_server(sample_output / "public")
    page = _page(chromium, base + POST, viewport={"width": 1280, "height": 900})
    card = page.locator("aside.paywall")
    assert card.is_visible()
    assert page.get_by_role("link", name="Subscribe to Plus").first.is_visible()
    assert "Try one month for FREE." in card.inner_text()
    box = card.bounding_box()
    assert box is not None and box["width"] > 400
    assert page.evaluate("getComputedStyle(document.querySelector('aside.paywall')).borderTopStyle") == "solid"
    _shot(page, "public-plus-post-desktop")


def test_members_post_has_no_card_and_the_whole_essay(chromium, static_server, sample_output) -> None:
    base = static_server(sample_output / "members")
    page = _page(chromium, base + POST, viewport={"width": 1280, "height": 900})
    assert page.locator("aside.paywall").count() == 0
    assert page.locator(".post-body figure img").count() >= 1
    assert page.locator(".edition-badge").is_visible()


@pytest.mark.parametrize("path", ["/", POST, "/2026/11/october-in-one-table/"])
def test_phone_layout_does_not_scroll_sideways(chromium, static_server, sample_output, path: str) -> None:
    base = static_server(sample_output / "public")
    page = _page(chromium, base + path, viewport={"width": 375, "height": 740}, device_scale_factor=2,
                 is_mobile=True, has_touch=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 16
    _shot(page, "phone" + path.strip("/").replace("/", "-"))


def test_dark_mode_follows_the_system(chromium, static_server, sample_output) -> None:
    base = static_server(sample_output / "public")
    page = _page(chromium, base + POST, color_scheme="dark", viewport={"width": 1280, "height": 900})
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    red, green, blue = (int(c) for c in background[background.index("(") + 1 : -1].split(",")[:3])
    assert red + green + blue < 120
    _shot(page, "public-plus-post-dark")


def test_figure_and_table_render_as_a_reader_expects(chromium, static_server, sample_output) -> None:
    base = static_server(sample_output / "public")
    page = _page(chromium, base + "/2026/11/october-in-one-table/", viewport={"width": 1280, "height": 900})
    assert page.locator("figure figcaption").first.inner_text().startswith("Figure 1")
    page.locator("figure img").first.scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector('figure img').complete")
    image_width = page.evaluate("document.querySelector('figure img').naturalWidth")
    assert image_width > 0
    assert page.locator("table th").count() >= 4
