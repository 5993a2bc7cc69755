"""End to end: the sample site and one-off sites built through the CLI and the pipeline."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import hypothesis
import markupsafe
import pytest
from markupsafe import Markup

from tearsheet.cli import main

from .conftest import MINIMAL_TOML, REPO, build, read_tree


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample site, built once."""
    site = tmp_path_factory.mktemp("sample")
    for name in ("content", "templates", "site.toml"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, site / name)
        elif source.exists():
            shutil.copy(source, site / name)
    build(site, now=_moment("2026-11-25T12:00:00+00:00"))
    return site


def _moment(text: str):  # type: ignore[no-untyped-def]
    import datetime as dt

    return dt.datetime.fromisoformat(text)


def test_sample_site_has_every_kind_of_page(sample: Path) -> None:
    for tier in ("public", "members"):
        root = sample / "output" / tier
        for path in ("index.html", "page/2/index.html", "404.html", "about/index.html", "subscribe/index.html",
                     "tags/index.html", "tags/rates/index.html", "series/the-weekly/index.html",
                     "authors/marlowe/index.html", "archive/index.html", "archive/2026/index.html",
                     "archive/2026/10/index.html", "2026/10/small-cap-rotation/index.html"):
            assert (root / path).is_file(), f"{tier}/{path}"


def test_the_topics_page_lists_the_series_too(sample: Path) -> None:
    topics = (sample / "output/public/tags/index.html").read_text()
    assert '<h2 class="terms-more">Series</h2>' in topics and '<a href="/series/the-weekly/">The Weekly</a>' in topics


def test_sample_plus_post_teaser_and_full(sample: Path) -> None:
    public = (sample / "output/public/2026/10/small-cap-rotation/index.html").read_text()
    members = (sample / "output/members/2026/10/small-cap-rotation/index.html").read_text()
    assert 'class="paywall"' in public and 'class="paywall"' not in members
    assert len(members) > len(public) + 2000
    assert "Members edition" in members and "Members edition" not in public


def test_members_are_not_asked_to_subscribe_by_the_navigation(sample: Path) -> None:
    public = (sample / "output/public/index.html").read_text()
    members = (sample / "output/members/index.html").read_text()
    assert '<a href="/subscribe/" class="nav-cta">Subscribe to Plus</a>' in public
    assert public.count('href="/subscribe/"') == 2  # the menu's button and the footer's link
    assert 'href="/subscribe/"' not in members and 'href="/about/"' in members
    assert (sample / "output/members/subscribe/index.html").is_file()  # a link to it from a post still works


def test_a_free_post_asks_the_public_to_subscribe_and_members_not(sample: Path, write_site) -> None:
    free = (sample / "output/public/2026/09/weekly-cheap-insurance/index.html").read_text()
    card = free.split('<aside class="subscribe-card"')[1].split("</aside>")[0]
    assert "Plus members read every note in full" in card and 'href="/subscribe/">Subscribe to Plus</a>' in card
    assert "As little as $7/month" in card
    plus = (sample / "output/public/2026/10/small-cap-rotation/index.html").read_text()
    assert 'class="subscribe-card"' not in plus  # the paywall card asks already
    members = sample / "output/members/2026/09/weekly-cheap-insurance/index.html"
    assert 'class="subscribe-card"' not in members.read_text()
    only_free = write_site({"content/posts/a.md": "---\ntitle: A\ndate: 2026-03-02\n---\n\nHi.\n"})
    build(only_free)
    assert 'class="subscribe-card"' not in (only_free / "output/public/2026/03/a/index.html").read_text()  # no Plus
    plus = "---\ntitle: P\ndate: 2026-03-03\ntier: plus\n---\n\nOpen.\n\n<!--more-->\n\nKept.\n"
    (only_free / "content/posts/p.md").write_text(plus)
    build(only_free)
    assert 'class="subscribe-card"' in (only_free / "output/public/2026/03/a/index.html").read_text()
    (only_free / "site.toml").write_text(MINIMAL_TOML.replace("[paywall]", '[paywall]\nfree_pitch = ""'))
    build(only_free)
    assert 'class="subscribe-card"' not in (only_free / "output/public/2026/03/a/index.html").read_text()


def test_a_post_without_description_is_summed_up_by_its_prose(write_site) -> None:
    """Not by its table's cells nor its headings, and with no ellipsis glued to a sentence's full stop."""
    words = " ".join(f"word{n}" for n in range(31))
    body = (f"## Where we are\n\n| Tenor | Yield |\n|---|---|\n| 2Y | 3.52% |\n\n"
            f"The table has every tenor we follow. {words} ends here. And more words after the fortieth.\n")
    site = write_site({"content/posts/a.md": f"---\ntitle: A\ndate: 2026-03-02\n---\n\n{body}"})
    build(site)
    home = (site / "output/public/index.html").read_text()
    summary = home.split('class="card-summary">')[1].split("</")[0]
    assert summary == f"The table has every tenor we follow. {words} ends here."  # 40 words, a sentence's end
    page = (site / "output/public/2026/03/a/index.html").read_text()
    assert f'<meta name="description" content="{summary}">' in page


def test_lists_show_title_date_authors_badge_and_summary(sample: Path) -> None:
    home = (sample / "output/public/index.html").read_text()
    card = home.split('<article class="card')[1]
    assert "<time datetime=" in card and "/authors/" in card and "min read" in card
    assert 'class="plus-badge"' in home
    assert 'class="card-summary"' in home


def test_build_is_deterministic(sample: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    shutil.copytree(sample, again, ignore=shutil.ignore_patterns("output"))
    build(again, now=_moment("2026-11-25T12:00:00+00:00"))
    assert read_tree(again / "output") == read_tree(sample / "output")


def test_cli_prints_a_one_line_summary(sample: Path, capsys) -> None:
    assert main(["build", str(sample), "--out", str(sample / "out2")]) == 0
    out = capsys.readouterr().out
    assert re.match(r"Built 8 posts \(5 plus\) and 2 pages: public \d+ files, members \d+ files in \d+\.\d\ds", out)
    assert out.count("\n") == 1


def test_rebuild_leaves_no_stale_page(write_site) -> None:
    site = write_site({"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-02\n---\n\nA.\n"})
    build(site)
    assert (site / "output/public/2026/01/a/index.html").exists()
    (site / "content/posts/a.md").rename(site / "content/posts/b.md")
    build(site)
    assert not (site / "output/public/2026/01/a/index.html").exists()
    assert (site / "output/public/2026/01/b/index.html").exists()
    assert [p.name for p in (site / "output").iterdir()] in (["public", "members"], ["members", "public"])


DRAFT = "---\ntitle: Draft\ndate: 2026-01-02\ndraft: true\n---\n\nDraft text.\n"
FUTURE = "---\ntitle: Later\ndate: 2099-01-02\n---\n\nFuture text.\n"


@pytest.mark.parametrize(("flags", "draft", "future"), [
    ([], False, False), (["--drafts"], True, False), (["--future"], False, True),
    (["--drafts", "--future"], True, True)])
def test_drafts_and_future_posts(write_site, flags: list[str], draft: bool, future: bool) -> None:
    site = write_site({"content/posts/draft.md": DRAFT, "content/posts/later.md": FUTURE})
    assert main(["build", str(site), "--quiet", *flags]) == 0
    assert (site / "output/public/2026/01/draft/index.html").exists() == draft
    assert (site / "output/members/2099/01/later/index.html").exists() == future


def test_now_decides_what_is_future(write_site) -> None:
    site = write_site({"content/posts/later.md": FUTURE})
    assert main(["build", str(site), "--quiet", "--now", "2099-02-01"]) == 0
    assert (site / "output/public/2099/01/later/index.html").exists()


def test_source_date_epoch_decides_what_is_future(write_site, monkeypatch) -> None:
    site = write_site({"content/posts/later.md": FUTURE})
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "4073587200")  # 2099-02-01T00:00:00Z
    assert main(["build", str(site), "--quiet"]) == 0
    assert (site / "output/public/2099/01/later/index.html").exists()


@pytest.mark.parametrize("value", ["yesterday", "1767225600.5", "-1", "1,767,225,600", "\u0661\u0662", "2026-12-01"])
@pytest.mark.parametrize("verb", ["build", "check"])
def test_a_source_date_epoch_that_is_not_whole_seconds_is_a_clear_error(write_site, monkeypatch, capsys,
                                                                         value: str, verb: str) -> None:
    site = write_site({"content/posts/later.md": FUTURE})
    monkeypatch.setenv("SOURCE_DATE_EPOCH", f" {value} ")
    assert main([verb, str(site), "--now", "2026-12-01"] + (["--quiet"] if verb == "build" else [])) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith(
        f'error: SOURCE_DATE_EPOCH: "{value}" is not a whole number of seconds\n'
        "    set it to seconds since 1970-01-01 UTC, e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct), "
        "or unset it; --now takes a date: --now 2026-12-01\n"), captured.err
    assert "Traceback" not in captured.err
    assert not (site / "output" / "public").exists()


def test_a_source_date_epoch_past_any_date_is_a_clear_error(write_site, monkeypatch, capsys) -> None:
    site = write_site({"content/posts/later.md": FUTURE})
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "9" * 20)
    assert main(["build", str(site), "--quiet"]) == 1
    assert f"error: SOURCE_DATE_EPOCH: {'9' * 20} seconds is past any date a build can have\n" in capsys.readouterr().err


def test_an_empty_source_date_epoch_is_unset(write_site, monkeypatch) -> None:
    site = write_site({"content/posts/later.md": FUTURE})
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "")
    assert main(["build", str(site), "--quiet"]) == 0
    assert not (site / "output/public/2099/01/later/index.html").exists()


def test_dates_without_offset_use_the_site_timezone(write_site) -> None:
    toml = 'title = "T"\nbase_url = "https://t.example.com"\ntimezone = "Asia/Tokyo"\n'
    site = write_site({"content/posts/a.md": "---\ntitle: A\ndate: 2026-03-01T08:00\n---\n"}, toml=toml)
    build(site)
    page = (site / "output/public/2026/03/a/index.html").read_text()
    assert 'datetime="2026-03-01T08:00:00+09:00"' in page


def test_permalink_pattern_and_base_path(write_site) -> None:
    toml = ('title = "T"\nbase_url = "https://host.example.com/letter"\n'
            'permalink = "/notes/{year}/{month}/{day}/{slug}/"\n')
    site = write_site({"content/posts/a.md": "---\ntitle: A\ndate: 2026-03-07\ntags: [Rates]\n---\n"}, toml=toml)
    build(site)
    page = site / "output/public/notes/2026/03/07/a/index.html"
    assert page.exists()
    home = (site / "output/public/index.html").read_text()
    assert 'href="/letter/notes/2026/03/07/a/"' in home
    assert 'href="/letter/tags/rates/"' in page.read_text()


def test_pagination(write_site) -> None:
    posts = {f"content/posts/p{i}.md": f"---\ntitle: Post {i}\ndate: 2026-01-{i + 1:02d}\n---\n\nText.\n"
             for i in range(12)}
    toml = 'title = "T"\nbase_url = "https://t.example.com"\nposts_per_page = 5\n'
    site = write_site(posts, toml=toml)
    build(site)
    public = site / "output/public"
    assert (public / "page/3/index.html").exists() and not (public / "page/4/index.html").exists()
    first = (public / "index.html").read_text()
    assert "Post 11" in first and "Post 6" not in first and 'href="/page/2/"' in first
    assert "Post 1<" in (public / "page/3/index.html").read_text()


def test_site_templates_override_the_theme_name_by_name(write_site) -> None:
    site = write_site({
        "content/posts/a.md": "---\ntitle: A\ndate: 2026-01-02\n---\n\nBody.\n",
        "templates/partials/paywall.html": "<aside>custom prompt</aside>",
        "templates/page.html": "unused",
    })
    (site / "content/posts/a.md").write_text("---\ntitle: A\ndate: 2026-01-02\ntier: plus\nteaser: 1\n---\n\nBody two.\n")
    build(site)
    page = (site / "output/public/2026/01/a/index.html").read_text()
    assert "<aside>custom prompt</aside>" in page and 'class="masthead"' in page


def test_autoescape_keeps_titles_inert(write_site) -> None:
    site = write_site({"content/posts/a.md": '---\ntitle: "<script>alert(1)</script>"\ndate: 2026-01-02\n---\n'})
    build(site)
    page = (site / "output/public/2026/01/a/index.html").read_text()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


class _Shown:
    def __html__(self) -> str:
        return "<b>kept</b>"


class _Text(str):
    pass


@hypothesis.given(hypothesis.strategies.one_of(
    hypothesis.strategies.text(), hypothesis.strategies.integers(), hypothesis.strategies.booleans(),
    hypothesis.strategies.floats(allow_nan=False), hypothesis.strategies.none(),
    hypothesis.strategies.text().map(Markup), hypothesis.strategies.text().map(_Text),
    hypothesis.strategies.just(_Shown())))
def test_the_templates_escape_every_value_as_markupsafe_does(value: object) -> None:
    from tearsheet.templates import escape_output, make_environment

    expected = markupsafe.escape(value)
    assert escape_output(value) == expected and type(escape_output(value)) is type(expected)
    env = make_environment("/nonexistent")
    assert env.from_string("[{{ v }}]").render(v=value) == f"[{expected}]"


def test_assets_are_copied_and_theme_css_is_fingerprinted(write_site) -> None:
    site = write_site({"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-02\n---\n\nThe [report](/files/report.pdf).\n",
                       "content/files/report.pdf": b"%PDF-1.4 fake"})
    build(site)
    assert (site / "output/public/files/report.pdf").read_bytes() == b"%PDF-1.4 fake"
    css = list((site / "output/public/assets").glob("style.*.css"))
    assert len(css) == 1
    assert f'href="/assets/{css[0].name}"' in (site / "output/public/index.html").read_text()


PLUS_WITH_FILES = ("---\ntitle: Later\ndate: {date}\ntier: plus\n{extra}---\n\nOpening words for all.\n\n<!--more-->\n\n"
                   "The [model](/files/model.csv) and the [chart](https://www.example.com/files/chart.png).\n")


@pytest.mark.parametrize("extra", ["", "draft: true\n"])
@pytest.mark.parametrize("date", ["2026-01-03", "2099-01-03"])
def test_files_no_public_text_links_to_are_on_the_members_site_only(write_site, capsys, date: str, extra: str) -> None:
    """Only member-only text links to them, or a draft, or a post not yet out, or nothing: a Word draft left beside
    a post, a model sheet for a scheduled note. The public site has none of them, and the build says so for
    the files nothing published links to."""
    site = write_site({"content/posts/later.md": PLUS_WITH_FILES.format(date=date, extra=extra),
                       "content/posts/free.md": "---\ntitle: Free\ndate: 2026-01-02\n---\n\nSee [it](/files/ok.txt).\n",
                       "content/files/model.csv": b"zqmember,1.25\n", "content/files/chart.png": b"\x89PNG zqchart",
                       "content/files/ok.txt": b"public", "content/posts/Curve Watch FINAL.docx": b"PK\x03\x04zqdraft"},
                      toml=MINIMAL_TOML.replace('base_url = "https://letter.example.com"', 'base_url = "https://example.com"'))
    assert main(["build", str(site), "--now", "2026-06-01"]) == 0
    public, members = site / "output" / "public", site / "output" / "members"
    assert not (public / "files" / "model.csv").exists() and not (public / "files" / "chart.png").exists()
    assert not (public / "posts" / "Curve Watch FINAL.docx").exists()
    assert (public / "files" / "ok.txt").read_bytes() == b"public"
    assert (members / "posts" / "Curve Watch FINAL.docx").exists() and (members / "files" / "model.csv").exists()
    err = capsys.readouterr().err
    assert "content/posts/Curve Watch FINAL.docx" in err and "no published post or page, or site.toml, links to" in err
    published = date < "2026-06" and not extra
    assert ("content/files/chart.png" in err) is not published  # a published post's member-only text links to it


def test_a_file_a_site_template_names_is_on_the_members_site_and_said_to_belong_in_static(write_site, capsys) -> None:
    """A template's link may sit behind `{% if tier == "members" %}`: only the posts' own links publish a file."""
    site = write_site({"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-02\n---\n\nHi.\n",
                       "content/files/model.xlsx": b"PK zqmodel", "content/img/logo-dark.png": b"\x89PNG",
                       "content/g/logo-dark.png": b"\x89PNG other",
                       "templates/partials/footer_extra.html": '{% if tier == "members" %}<a href="{{ root }}/files/'
                       'model.xlsx">Model</a>{% endif %}{# was /g/logo-dark.png #}<img src="/img/logo-dark.png">\n'})
    assert main(["build", str(site)]) == 0
    assert not (site / "output/public/files/model.xlsx").exists() and (site / "output/members/files/model.xlsx").exists()
    assert not (site / "output/public/img/logo-dark.png").exists() and not (site / "output/public/g").exists()
    err = capsys.readouterr().err
    assert ("content/files/model.xlsx, content/img/logo-dark.png: a template of the site names them, but the public "
            "site has only the files under content/ that posts, pages and site.toml link to") in err
    assert "content/g/logo-dark.png: no published post or page, or site.toml, links to it" in err


CHART_PAGE = b"""<!doctype html><html><head><link rel="stylesheet" href="chart.css"><script src="./chart.js"></script>
</head><body><object data="/charts/legend.svg"></object><a href="notes.html">Notes</a></body></html>"""


def test_a_chart_page_a_free_post_embeds_brings_what_it_loads_to_the_public_site(write_site, capsys) -> None:
    """An interactive chart: a free post embeds a page under content/, which loads a script and a
    stylesheet (which loads an image and another stylesheet) and shows an SVG (which uses a sprite). All
    of it works on the public site; nothing is said to be unlinked."""
    site = write_site({
        "content/posts/free.md": "---\ntitle: Free\ndate: 2026-01-02\n---\n\n"
                                 '<iframe src="/charts/curve.html" width="600" height="400"></iframe>\n',
        "content/charts/curve.html": CHART_PAGE, "content/charts/chart.js": b"draw()",
        "content/charts/chart.css": b'@import "base.css"; .c { background: url( img/grid.png ) }',
        "content/charts/base.css": b"body{margin:0}", "content/charts/img/grid.png": b"\x89PNG grid",
        "content/charts/legend.svg": b'<svg><use xlink:href="sprite.svg#a"/></svg>',
        "content/charts/sprite.svg": b"<svg></svg>", "content/charts/notes.html": b"<p>Notes</p>"})
    assert main(["build", str(site)]) == 0
    public = site / "output" / "public" / "charts"
    for name in ("curve.html", "chart.js", "chart.css", "base.css", "img/grid.png", "legend.svg", "sprite.svg",
                 "notes.html"):
        assert (public / name).exists(), name
    assert "links to" not in capsys.readouterr().err


def test_addresses_in_a_chart_pages_comments_and_scripts_are_not_loads(write_site) -> None:
    """A comment about what members get, a script's own fetch: nothing a reader's browser loads from the page."""
    page = (b'<!-- members get the model: <a href="model-full.csv">download</a> --><script src="chart.js"></script>'
            b'<script>if (a < b) { const src = "full-data.csv"; fetch(src); }</script><p>Reads data/*.csv.</p>'
            b'<style>/* url(old.png) */ .c { background: url(grid.png) }</style>')
    files = {name: b"x" for name in ("model-full.csv", "full-data.csv", "chart.js", "old.png", "grid.png")}
    site = write_site({"content/posts/free.md": "---\ntitle: Free\ndate: 2026-01-02\n---\n\n"
                                                '<iframe src="/charts/curve.html"></iframe>\n',
                       "content/charts/curve.html": page, **{f"content/charts/{name}": data for name, data in files.items()}})
    assert main(["build", str(site)]) == 0
    public = site / "output" / "public" / "charts"
    assert sorted(p.name for p in public.iterdir()) == ["chart.js", "curve.html", "grid.png"]


def test_a_chart_page_only_members_see_keeps_what_it_loads_off_the_public_site(write_site, capsys) -> None:
    site = write_site({
        "content/posts/plus.md": "---\ntitle: Plus\ndate: 2026-01-02\ntier: plus\n---\n\nOpening words.\n\n"
                                 "<!--more-->\n\n"
                                 '<iframe src="/charts/curve.html" width="600" height="400"></iframe>\n',
        "content/charts/curve.html": CHART_PAGE, "content/charts/chart.js": b"draw()",
        "content/charts/chart.css": b".c{}", "content/charts/legend.svg": b"<svg></svg>",
        "content/charts/notes.html": b"<p>Notes</p>"})
    assert main(["build", str(site)]) == 0
    assert not (site / "output" / "public" / "charts").exists()
    members = site / "output" / "members" / "charts"
    assert all((members / name).exists() for name in ("curve.html", "chart.js", "chart.css", "legend.svg"))
    assert "links to" not in capsys.readouterr().err  # all of it used, by the members' page


def test_the_sites_own_files_at_the_top_of_content_are_on_both_sites(write_site) -> None:
    site = write_site({"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-02\n---\n\nHi.\n",
                       "content/favicon.ico": b"\x00\x00\x01",
                       "content/.well-known/security.txt": "Contact: a@b.c\n", "content/q3-outlook.pdf": b"%PDF"})
    build(site)
    for tier in ("public", "members"):
        for name in ("favicon.ico", ".well-known/security.txt"):
            assert (site / "output" / tier / name).exists(), (tier, name)
    assert not (site / "output/public/q3-outlook.pdf").exists()  # a PDF at the top is a post's file like any


def test_aliases_redirect_old_addresses_in_both_builds_and_go_when_removed(write_site) -> None:
    post = ("---\ntitle: Renamed\ndate: 2026-03-02\ntier: plus\naliases: [/2025/old-name/, /old.html]\n---\n\n"
            "Public opening words.\n\n<!--more-->\n\nzqmembers-only words of the renamed essay.\n")
    site = write_site({"content/posts/renamed.md": post})
    build(site)
    for tier in ("public", "members"):
        for path in ("2025/old-name/index.html", "old.html"):
            page = (site / "output" / tier / path).read_text()
            assert '<meta http-equiv="refresh" content="0; url=/2026/03/renamed/">' in page
            assert '<link rel="canonical" href="https://letter.example.com/2026/03/renamed/">' in page
            assert "zqmembers" not in page and "Public opening" not in page  # the address, nothing of the post
        rules = (site / "output" / tier / "_redirects").read_text().splitlines()  # a real 301 on Cloudflare Pages
        assert rules[1:] == ["/2025/old-name/ /2026/03/renamed/ 301", "/old.html /2026/03/renamed/ 301"]
    assert "old-name" not in (site / "output" / "public" / "sitemap.xml").read_text()
    (site / "content/posts/renamed.md").write_text(post.replace("aliases: [/2025/old-name/, /old.html]\n", ""))
    build(site)
    for tier in ("public", "members"):
        assert not (site / "output" / tier / "old.html").exists()
        assert not (site / "output" / tier / "2025").exists()
        assert not (site / "output" / tier / "_redirects").exists()


@pytest.mark.parametrize(("aliases", "expected"), [
    ("[/2026/03/other/]", "content/posts/renamed.md: `aliases` has /2026/03/other/, which is also the URL of "
     "content/posts/other.md"),
    ("[/tags/]", "two things want to write this file (the redirect `aliases:` of content/posts/renamed.md asks for"),
    ("[old-name]", 'content/posts/renamed.md:4: `aliases` has "old-name", which is not a path on this site'),
    ("[https://example.com/old/]", "`aliases` has \"https://example.com/old/\", which is not a path on this site"),
    ("[/a/../../etc/]", "which is not a path on this site"),
])
def test_an_alias_that_cannot_be_a_redirect_is_refused(write_site, capsys, aliases: str, expected: str) -> None:
    site = write_site({"content/posts/other.md": "---\ntitle: Other\ndate: 2026-03-01\ntags: [x]\n---\n\nHi.\n",
                       "content/posts/renamed.md": f"---\ntitle: Renamed\ndate: 2026-03-02\naliases: {aliases}\n---\n\nHi.\n"})
    assert main(["build", str(site)]) == 1
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_a_tag_spelt_in_two_cases_is_shown_alike_on_every_page(write_site) -> None:
    site = write_site({"content/posts/a.md": "---\ntitle: A\ndate: 2026-03-01\ntags: [Rates]\n---\n\nHi.\n",
                       "content/posts/b.md": "---\ntitle: B\ndate: 2026-03-02\ntags: [rates]\n---\n\nHo.\n"})
    build(site)
    public = site / "output" / "public"
    for page in ("2026/03/a/index.html", "2026/03/b/index.html", "tags/index.html"):
        html = (public / page).read_text()
        assert '/tags/rates/">Rates</a>' in html and '/tags/rates/">rates</a>' not in html, page


@pytest.mark.parametrize("aliases", ["aliases:", "aliases: []", "aliases: /2025/one-old-address/"])
def test_an_empty_or_single_alias_is_read_as_a_writer_means_it(write_site, aliases: str) -> None:
    site = write_site({"content/posts/a.md": f"---\ntitle: A\ndate: 2026-03-01\n{aliases}\n---\n\nHi.\n"})
    build(site)
    assert (site / "output" / "public" / "2025" / "one-old-address" / "index.html").exists() == aliases.endswith("/")


def test_a_build_with_drafts_warns_not_to_deploy_it(write_site, capsys) -> None:
    site = write_site({"content/posts/d.md": "---\ntitle: D\ndate: 2026-01-02\ntier: plus\ndraft: true\n---\n\nShort.\n"})
    assert main(["build", str(site)]) == 0
    assert "--drafts" not in capsys.readouterr().err
    assert main(["build", str(site), "--drafts"]) == 0
    assert '<span class="draft-badge">Draft</span>' in (site / "output/members/2026/01/d/index.html").read_text()
    assert ("warning: --drafts: the output holds 1 draft, on the public site too, a plus draft as it stands (its "
            "teaser unchecked): build without --drafts before you deploy") in capsys.readouterr().err


def test_a_build_warns_of_links_and_images_that_lead_nowhere_with_line_and_guess(write_site, capsys) -> None:
    """`check` gates publishing: the writer hears of a broken link from `build` and `serve` first, not from CI."""
    oil = ("---\ntitle: Oil\ndate: 2026-11-02\n---\n\nSee [the curve note](/2026/12/curve-watch/).\n\n"
           "![Brent](/images/Brent.png)\n\nAnd [about](/2026/11/curve-watch/).\n")
    site = write_site({"content/posts/oil.md": oil, "content/images/brent.png": b"\x89PNG",
                       "content/posts/curve.md": "---\ntitle: Curve\ndate: 2026-11-20\nslug: curve-watch\n---\n\nHi.\n"})
    for _ in range(2):  # the second build changes nothing, and says it again
        assert main(["build", str(site)]) == 0
        err = capsys.readouterr().err
        assert ("warning: content/posts/oil.md:6: link to /2026/12/curve-watch/: nothing on the site is at that "
                "address (did you mean /2026/11/curve-watch/?)") in err
        assert "content/posts/oil.md:8: link to /images/Brent.png: nothing on the site is at that address (did you " \
               "mean /images/brent.png?)" in err
        assert "content/posts/oil.md:10" not in err


def test_titles_and_descriptions_get_the_bodys_typography(write_site) -> None:
    """A writer types straight quotes into front matter; beside the body's curly ones they read as a slip."""
    site = write_site({"content/posts/q.md": '---\ntitle: "Here\'s the \\"dot plot\\" -- again..."\ndate: 2026-01-02\n'
                       "description: Don't fight the Fed\n---\n\nThe body's words.\n"})
    build(site)
    page = (site / "output/public/2026/01/q/index.html").read_text()
    assert "Here\u2019s the \u201cdot plot\u201d \u2013 again\u2026</h1>" in page
    assert "Don\u2019t fight the Fed" in page and "The body\u2019s words." in page


def test_a_series_post_says_its_part_and_links_its_neighbours_in_the_series(write_site) -> None:
    weekly = "---\ntitle: Weekly {n}\ndate: 2026-0{n}-02\nseries: The Weekly\n---\n\nWords of week {n}.\n"
    site = write_site({f"content/posts/w{n}.md": weekly.format(n=n) for n in (1, 2, 3)}
                      | {"content/posts/other.md": "---\ntitle: Other\ndate: 2026-02-15\n---\n\nHi.\n"})
    build(site)
    second = (site / "output/public/2026/02/w2/index.html").read_text()
    assert '<span class="series-part">· Part 2</span>' in second
    assert '<a class="series-prev" href="/2026/01/w1/"><span>Previous in The Weekly</span> Weekly 1</a>' in second
    assert '<a class="series-next" href="/2026/03/w3/"><span>Next in The Weekly</span> Weekly 3</a>' in second
    first = (site / "output/public/2026/01/w1/index.html").read_text()
    assert "series-prev" not in first and "Part 1" in first
    assert "series-nav" not in (site / "output/public/2026/02/other/index.html").read_text()
