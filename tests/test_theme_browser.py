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


@pytest.mark.parametrize("path", ["/", POST, "/2026/11/october-in-one-table/", "/2026/09/weekly-cheap-insurance/"])
def test_phone_layout_does_not_scroll_sideways(chromium, static_server, sample_output, path: str) -> None:
    base = static_server(sample_output / "public")
    page = _page(chromium, base + path, viewport={"width": 375, "height": 740}, device_scale_factor=2,
                 is_mobile=True, has_touch=True)
    # against the phone's width: a page wider than it makes a mobile browser zoom out (innerWidth grows)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
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


def _rgb(css: str) -> tuple[float, float, float]:
    red, green, blue = (float(c) for c in css[css.index("(") + 1 : -1].split(",")[:3])
    return red, green, blue


def _contrast(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two computed colours."""

    def luminance(css: str) -> float:
        linear = [c / 255 / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in _rgb(css)]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_search_page_is_readable_in_dark_mode(chromium, static_server, sample_output) -> None:
    """Pagefind's own colours (dark grey text, white box) must give way to the theme's in dark mode."""
    base = static_server(sample_output / "public")
    page = _page(chromium, base + "/search/?q=curve", color_scheme="dark", viewport={"width": 1280, "height": 900})
    page.locator(".pagefind-ui__result-title a").first.wait_for()
    box = page.locator(".pagefind-ui__search-input")
    assert box.input_value() == "curve"
    colours = box.evaluate("e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]")
    assert _contrast(*colours) >= 4.5
    page_background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert _contrast(page_background, "rgb(0, 0, 0)") < 1.5  # the page itself is dark
    title = page.locator(".pagefind-ui__result-title a").first.evaluate("e => getComputedStyle(e).color")
    assert _contrast(title, page_background) >= 4.5
    excerpt = page.locator(".pagefind-ui__result-excerpt").first.evaluate("e => getComputedStyle(e).color")
    assert _contrast(excerpt, page_background) >= 4.5
    _shot(page, "public-search-dark")


@pytest.mark.parametrize(("path", "fades"), [
    (POST, True),  # a teaser of words: its last lines fade into the card
    ("/2026/11/trade-idea-yen-vol-into-year-end/", False),  # teaser: 0, nothing to fade but the byline above
    ("/2026/09/term-premium-is-not-a-ghost/", False),  # the teaser's footnotes must stay legible
])
def test_teaser_fade_never_covers_the_byline_or_footnotes(chromium, static_server, sample_output, path: str,
                                                          fades: bool) -> None:
    base = static_server(sample_output / "public")
    page = _page(chromium, base + path, viewport={"width": 390, "height": 800}, is_mobile=True)
    fade = page.evaluate("getComputedStyle(document.querySelector('.post-body.teaser'), '::after').content")
    assert (fade != "none") == fades
    assert page.locator("aside.paywall").is_visible()


def test_members_edition_does_not_push_the_subscribe_button(chromium, static_server, sample_output) -> None:
    """The public nav sells Plus with a filled button; a member, who has it, is not asked again."""
    public = _page(chromium, static_server(sample_output / "public") + "/", viewport={"width": 1280, "height": 900})
    link = public.locator(".site-nav").get_by_role("link", name="Subscribe to Plus")
    assert link.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    members = _page(chromium, static_server(sample_output / "members") + "/", viewport={"width": 1280, "height": 900})
    assert members.locator(".site-nav").get_by_role("link", name="About The Basis Point").is_visible()
    assert members.get_by_role("link", name="Subscribe to Plus").count() == 0


def test_phone_sees_every_column_of_a_small_table(chromium, static_server, sample_output) -> None:
    """A three-column table with a long heading fits a phone: the heading wraps, the figures stay whole."""
    base = static_server(sample_output / "members")
    page = _page(chromium, base + "/2026/10/credit-is-pricing-a-different-economy/",
                 viewport={"width": 390, "height": 800}, is_mobile=True, has_touch=True)
    table = page.locator(".post-body table").first
    assert table.evaluate("t => t.scrollWidth - t.clientWidth") <= 0
    assert table.locator("td").last.is_visible()
    assert table.locator("td").last.inner_text() == "+148"


def test_an_updated_post_says_when(chromium, static_server, sample_output) -> None:
    base = static_server(sample_output / "public")
    page = _page(chromium, base + "/2026/10/september-cpi-services-blink/", viewport={"width": 1280, "height": 900})
    assert page.locator(".byline .updated").inner_text() == "Updated 11:20 EDT"
    assert page.locator(".byline .updated time").get_attribute("datetime") == "2026-10-14T11:20:00-04:00"
    page = _page(chromium, base + POST, viewport={"width": 1280, "height": 900})
    assert page.locator(".byline .updated").count() == 0


def test_sample_cross_references_lead_to_the_essays_they_name(chromium, static_server, sample_output) -> None:
    base = static_server(sample_output / "public")
    page = _page(chromium, base + "/2026/10/september-cpi-services-blink/", viewport={"width": 1280, "height": 900})
    page.get_by_role("link", name="there it is").click()
    page.wait_for_load_state()
    assert page.url == base + POST
    assert page.locator("h1").inner_text() == "The Small-Cap Rotation Nobody Trusts"
    page = _page(chromium, base + "/about/", viewport={"width": 1280, "height": 900})
    assert page.locator(".post-body").get_by_role("link", name="Subscribe", exact=True).get_attribute("href") == "/subscribe/"
