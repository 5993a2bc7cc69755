"""`tearsheet check`: build's problems, plus links, anchors and images that point nowhere, writing nothing."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tearsheet import parallel
from tearsheet.build import BuildOptions
from tearsheet.check import check_site
from tearsheet.cli import main
from tearsheet.errors import SiteError

from .conftest import MINIMAL_TOML, REPO, build

NOW = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
A = "---\ntitle: A\ndate: 2026-10-01\n{extra}---\n\n{body}\n"


def problems(site: Path, **options: object) -> list[str]:
    report = check_site(BuildOptions(site_dir=str(site), **options))  # type: ignore[arg-type]
    return [str(p).split("\n")[0] for p in report.problems]


def test_sample_site_is_clean_and_check_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    for name in ("content", "templates", "site.toml"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    assert main(["check", str(tmp_path), "--now", "2026-11-25"]) == 0
    assert "links: no problems." in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["content", "site.toml", "templates"]


def test_broken_links_anchors_and_images_name_file_and_line(write_site: Callable[..., Path]) -> None:
    site = write_site({
        "content/posts/2026/a.md": A.format(extra="", body=(
            "## Rates outlook\n\n"
            "See [b](/2026/10/b/), [b's trade](/2026/10/b/#the-trade) and [ours](#rates-outlook).\n\n"
            "A [typo](/2026/10/bb/) and [a bad anchor](/2026/10/b/#no-such-heading).\n\n"
            "![chart](/images/missing.svg)\n\n"
            "[relative](../../../about/) and [outside](https://elsewhere.example.org/x) and [mail](mailto:a@b.c).")),
        "content/posts/2026/b.md": "---\ntitle: B\ndate: 2026-10-02\n---\n\n## The trade\n\nWords.\n",
        "content/pages/about.md": "---\ntitle: About\n---\n\nAbout us.\n",
    })
    assert problems(site) == [
        "content/posts/2026/a.md:10: link to /2026/10/bb/: nothing on the site is at that address",
        "content/posts/2026/a.md:10: link to /2026/10/b/#no-such-heading: #no-such-heading is not a heading or "
        "anchor on that page",
        "content/posts/2026/a.md:12: link to /images/missing.svg: nothing on the site is at that address",
    ]


def test_check_takes_what_a_build_cached_and_writes_nothing(write_site: Callable[..., Path],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    body = "Words first.\n\nA [typo](/2026/10/bb/) here.\n"
    site = write_site({"content/posts/2026/a.md": A.format(extra="", body=body),
                       "content/posts/2026/b.md": "---\ntitle: B\ndate: 2026-10-02\n---\n\nWords.\n"})
    an_hour_ago = int((dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).timestamp() * 1e9)
    for path in (site / "content").rglob("*.md"):  # a file modified just before a build is not remembered
        os.utime(path, ns=(an_hour_ago, an_hour_ago))
    build(site)
    cache = site / ".tearsheet-cache"
    before = {path: path.stat().st_mtime_ns for path in cache.rglob("*")}
    rendered: list[str] = []
    real_render = parallel.render_post
    monkeypatch.setattr(parallel, "render_post",
                        lambda md, source: rendered.append(source.meta.path) or real_render(md, source))
    assert problems(site) == ["content/posts/2026/a.md:8: link to /2026/10/bb/: nothing on the site is at that address"]
    assert rendered == []  # every body came from the cache, and the line from the file, read for it
    assert {path: path.stat().st_mtime_ns for path in cache.rglob("*")} == before


def test_anchor_after_the_cut_is_broken_only_in_the_public_edition(write_site: Callable[..., Path]) -> None:
    site = write_site({"content/posts/2026/p.md": A.format(
        extra="tier: plus\n", body="Jump to [the trade](#the-trade).\n\n<!--more-->\n\n## The trade\n\nSecret."),
        "content/pages/subscribe.md": "---\ntitle: Subscribe\n---\n\nJoin.\n"})
    found = problems(site)
    assert found == ["content/posts/2026/p.md:7: link to #the-trade in the public edition: #the-trade is not a "
                     "heading or anchor on that page"]


def test_link_to_a_draft_is_broken_until_drafts_are_built(write_site: Callable[..., Path]) -> None:
    site = write_site({
        "content/posts/2026/a.md": A.format(extra="", body="Read [the draft](/2026/10/d/)."),
        "content/posts/2026/d.md": "---\ntitle: D\ndate: 2026-10-03\ndraft: true\n---\n\nNot yet.\n",
    })
    assert problems(site) == ["content/posts/2026/a.md:6: link to /2026/10/d/: nothing on the site is at that address"]
    assert problems(site, drafts=True) == []


def test_site_toml_links_and_social_images_are_checked(write_site: Callable[..., Path]) -> None:
    toml = MINIMAL_TOML + '\n[[menu]]\ntitle = "Abuot"\nurl = "/abuot/"\n'
    site = write_site({"content/posts/2026/a.md": A.format(extra="image: /images/card.png\n", body="Words."),
                       "content/pages/subscribe.md": "---\ntitle: Subscribe\n---\n\nJoin.\n"}, toml=toml)
    assert problems(site) == [
        'site.toml:19: [[menu]] "Abuot" url /abuot/: nothing on the site is at that address',
        "content/posts/2026/a.md:4: image /images/card.png: no such file on the site",
    ]


def test_a_template_link_names_the_template(write_site: Callable[..., Path]) -> None:
    site = write_site({"content/pages/about.md": "---\ntitle: About\n---\n\nAbout us.\n",
                       "templates/page.html": '{% extends "base.html" %}{% block content %}'
                                              '<a href="{{ root }}/team/">Team</a>{% endblock %}'})
    assert problems(site) == ["templates/page.html: link to /team/ on /about/: nothing on the site is at that "
                              "address"]


@pytest.mark.parametrize("files", [
    {"content/posts/2026/a.md": "---\ntitle: A\ndate: 2026-10-01\ntier: premium\n---\nBody.\n"},
    {"content/posts/2026/a.md": A.format(extra="slug: same\n", body="One."),
     "content/posts/2026/b.md": A.format(extra="slug: same\n", body="Two.")},
    {"content/pages/tags.md": "---\ntitle: Tags\n---\nMine.\n"},
])
def test_same_messages_as_build(write_site: Callable[..., Path], files: dict[str, str]) -> None:
    site = write_site(files)
    with pytest.raises(SiteError) as caught:
        build(site)
    assert problems(site) == [str(p).split("\n")[0] for p in caught.value.problems]


def test_site_toml_errors_are_reported(write_site: Callable[..., Path]) -> None:
    site = write_site({}, toml='title = "T"\nteaser_wrods = 10\n')
    assert problems(site) == ['site.toml:2: unknown key "teaser_wrods"']


def test_github_format_annotates_file_and_line(write_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    site = write_site({"content/posts/2026/a.md": A.format(extra="", body="A [typo](/2026/10/bb/), 100%.")})
    monkeypatch.chdir(site)
    assert main(["check", "--format", "github"]) == 1
    out = capsys.readouterr()
    lines = out.out.splitlines()  # one line per annotation: the problem, then warnings (placeholder addresses)
    assert lines[0].startswith("::error file=content/posts/2026/a.md,line=6,title=tearsheet check::"
                               "link to /2026/10/bb/: nothing on the site is at that address%0Acheck the spelling")
    assert all(line.startswith("::warning title=tearsheet check::") for line in lines[1:])
    assert "1 problem" in out.err


def test_github_format_from_another_folder_gives_paths_from_there(write_site: Callable[..., Path],
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    site = write_site({"content/posts/2026/a.md": "---\ntitle: A\ndate: 2026-10-01\ntier: gold\n---\nB.\n"})
    monkeypatch.chdir(site.parent)
    assert main(["check", "site", "--format", "github"]) == 1
    assert capsys.readouterr().out.startswith("::error file=site/content/posts/2026/a.md,line=4,")


def test_text_format_lists_problems_on_stderr(write_site: Callable[..., Path],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    site = write_site({"content/posts/2026/a.md": A.format(extra="", body="[x](/nope/) and [y](/nada/)")})
    assert main(["check", str(site)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("2 problems:\n1. content/posts/2026/a.md:6: link to /nope/")
    assert err.rstrip().endswith("tearsheet check: 2 problems")


def test_a_post_linked_by_its_file_gets_its_address(write_site: Callable[..., Path], capsys) -> None:
    site = write_site({
        "content/posts/2026/a.md": A.format(extra="", body="See [b](b.md#the-trade) and ![curve](images/c.svg)."),
        "content/posts/2026/b.md": "---\ntitle: B\ndate: 2026-10-02\n---\n\n## The trade\n",
        "content/images/c.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
        "content/pages/about.md": "---\ntitle: About\n---\n\n![c](/images/c.svg)\n",
    })
    assert main(["check", str(site)]) == 1
    err = capsys.readouterr().err
    assert ("1. content/posts/2026/a.md:6: link to b.md#the-trade: nothing on the site is at that address\n"
            "    link to the post's address, not its file: /2026/10/b/#the-trade\n") in err
    assert ("2. content/posts/2026/a.md:6: link to images/c.svg: nothing on the site is at that address\n"
            '    a path without a leading "/" is relative to the page it is on: write /images/c.svg\n') in err


def test_a_relative_path_is_found_on_its_own_line(write_site: Callable[..., Path]) -> None:
    site = write_site({
        "content/posts/2026/a.md": A.format(extra="", body="![ok](/images/c.svg)\n\nLater: ![bad](images/c.svg)"),
        "content/images/c.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
    })
    assert problems(site) == ["content/posts/2026/a.md:8: link to images/c.svg: nothing on the site is at that address"]


def test_check_reports_one_problem_like_build(tmp_path: Path, capsys) -> None:
    assert main(["check", str(tmp_path)]) == 1
    assert capsys.readouterr().err.startswith(f"error: {tmp_path}: no site.toml here")


def test_a_link_with_backslashes_says_to_use_slashes(write_site: Callable[..., Path], capsys) -> None:
    site = write_site({"content/posts/2026/a.md": A.format(extra="", body="See [c](..\\images\\c.svg).")})
    assert main(["check", str(site)]) == 1
    assert capsys.readouterr().err.startswith(
        "error: content/posts/2026/a.md:6: link to ..%5Cimages%5Cc.svg: nothing on the site is at that address\n"
        "    links use forward slashes: ../images/c.svg\n")


def sample_at(target: Path, base_url: str) -> Path:
    """The bundled sample site (`cp -r site.toml content templates`) with another base_url."""
    import re
    import shutil

    for name in ("content", "templates"):
        shutil.copytree(REPO / name, target / name)
    toml = (REPO / "site.toml").read_text(encoding="utf-8")
    (target / "site.toml").write_text(re.sub(r'(?m)^base_url = ".*"$', f'base_url = "{base_url}"', toml),
                                      encoding="utf-8")
    return target


@pytest.mark.parametrize("base_url", ["https://example.com/blog", "https://basispoint.example.com/blog/"])
def test_the_sample_site_under_a_sub_path_is_clean(tmp_path: Path, base_url: str) -> None:
    """Its `image: /images/x.svg`, body links and menu are served under /blog/, as check must see them; its
    links to https://example.com/notes/... are another site's pages on the same host, not missing ones."""
    site = sample_at(tmp_path, base_url)
    assert problems(site, now=NOW) == []


def test_a_broken_link_under_a_sub_path_is_traced_to_its_file_and_line(tmp_path: Path) -> None:
    site = sample_at(tmp_path, "https://example.com/blog")
    post = site / "content" / "posts" / "2026" / "september-cpi-services-blink.md"
    text = post.read_text(encoding="utf-8")
    line = text[: text.index("(/2026/10/small-cap-rotation/)")].count("\n") + 1
    post.write_text(text.replace("(/2026/10/small-cap-rotation/)", "(/2026/10/small-cap-rotaton/)"), encoding="utf-8")
    assert problems(site, now=NOW) == [
        f"content/posts/2026/september-cpi-services-blink.md:{line}: link to /2026/10/small-cap-rotaton/: nothing on "
        "the site is at that address"]


def test_every_source_is_named_under_a_sub_path(write_site: Callable[..., Path]) -> None:
    toml = MINIMAL_TOML.replace('base_url = "https://letter.example.com"', 'base_url = "https://letter.example.com/blog"')
    toml = toml.replace('subscribe_url = "/subscribe/"', 'subscribe_url = "/subscrbe/"')
    toml += '\n[[menu]]\ntitle = "Abuot"\nurl = "/abuot/"\n\n[[menu]]\ntitle = "Home"\nurl = "/"\n'
    site = write_site({
        "content/images/c.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
        "content/pages/about.md": "---\ntitle: About\nimage: /images/c.svg\n---\n\n![c](/images/c.svg)\n",
        "content/posts/2026/a.md": A.format(extra="tier: plus\nimage: /images/gone.svg\n", body=(
            "Fine: [about](/about/), [again](/blog/about/), [up](../../../about/), [home](/) and "
            "<img srcset='/images/c.svg 1x, /blog/images/c.svg 2x' src=/images/c.svg alt=''>.\n\n"
            "<!--more-->\n\n"
            "Broken: [a typo](/abuot/) and <img srcset=\"/images/c.svg 1x, /images/c@2x.svg 2x\" alt=\"\">\n\n"
            "[Elsewhere on the host](https://letter.example.com/shop/) is not this site's to check.")),
    }, toml=toml)
    assert problems(site) == [
        "content/posts/2026/a.md:12: link to /abuot/: nothing on the site is at that address",
        "content/posts/2026/a.md:12: link to /images/c@2x.svg: nothing on the site is at that address",
        'site.toml:19: [[menu]] "Abuot" url /abuot/: nothing on the site is at that address',
        "site.toml:14: [paywall] subscribe_url /subscrbe/: nothing on the site is at that address",
        "content/posts/2026/a.md:5: image /images/gone.svg: no such file on the site",
    ]


def test_a_template_link_outside_the_base_path_names_the_template(write_site: Callable[..., Path]) -> None:
    toml = MINIMAL_TOML.replace('base_url = "https://letter.example.com"', 'base_url = "https://letter.example.com/blog"')
    site = write_site({"content/pages/about.md": "---\ntitle: About\n---\n\nAbout us.\n",
                       "templates/page.html": '{% extends "base.html" %}{% block content %}'
                                              '<a href="/about/">Team</a><a href="{{ root }}/about/">ok</a>'
                                              '{% endblock %}'}, toml=toml)
    assert problems(site) == ["templates/page.html: link to /about/ on /blog/about/: nothing on the site is at that "
                              "address"]


def test_placeholder_addresses_are_warned_of_before_publishing(write_site: Callable[..., Path],
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    # a new site's example.com links: a subscribe button there loses the sale
    site = write_site({"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-01\n---\n\nSee [the data](https://data.example.org/x).\n"},
                      toml=MINIMAL_TOML.replace('subscribe_url = "/subscribe/"', 'subscribe_url = "https://example.com/pay"'))
    assert main(["check", str(site)]) == 0  # warnings, not problems
    err = capsys.readouterr().err
    assert "site.toml: [paywall] subscribe_url is https://example.com/pay, a placeholder address" in err
    assert "content/posts/a.md: links to https://data.example.org/x, a placeholder address" in err
    assert "site.toml: base_url is https://letter.example.com, a placeholder address" in err
