"""The verbs a writer types: --help, --version, new, init."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tearsheet import __version__
from tearsheet.cli import main

from .conftest import build, read_tree


@pytest.mark.parametrize("verb", ["build", "new", "init"])
def test_every_command_has_help(verb: str, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([verb, "--help"])
    assert exit_.value.code == 0
    assert "usage: tearsheet " + verb in capsys.readouterr().out


def test_version(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"tearsheet {__version__}"


def test_console_script_runs_as_a_module() -> None:
    result = subprocess.run([sys.executable, "-m", "tearsheet", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and __version__ in result.stdout


def test_the_command_reports_through_a_pipe(write_site) -> None:
    site = write_site({"content/posts/2026/a.md": "---\ntitle: A\ndate: 2026-01-05\n---\nSome words.\n"})
    command = [sys.executable, "-m", "tearsheet", "build", str(site)]
    env = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}  # a pipe buffers
    built = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert built.returncode == 0 and built.stdout.startswith("Built 1 post"), built.stdout + built.stderr
    (site / "content/posts/2026/b.md").write_text("---\ntitle: [B\n---\nText.\n")
    failed = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert failed.returncode == 1 and "b.md" in failed.stderr and "previous output is as it was" in failed.stderr


def test_new_writes_a_dated_post_that_builds(write_site, monkeypatch, capsys) -> None:
    site = write_site({})
    monkeypatch.chdir(site)
    assert main(["new", "Fed Minutes: What's Next?", "--tier", "plus", "--teaser", "80"]) == 0
    printed = capsys.readouterr().out.strip()
    assert re.fullmatch(r"content/posts/\d{4}/fed-minutes-whats-next\.md", printed)
    text = (site / printed).read_text()
    assert 'title: "Fed Minutes: What\'s Next?"' in text and "tier: plus" in text and "teaser: 80" in text
    assert re.search(r"date: \d{4}-\d\d-\d\dT\d\d:\d\d:00\+00:00", text)
    assert main(["build", "--quiet", "--drafts"]) == 0


def test_new_plus_post_shows_where_the_paywall_goes_and_builds_once_published(write_site, monkeypatch, capsys) -> None:
    site = write_site({})
    monkeypatch.chdir(site)
    assert main(["new", "Curve trade", "--tier", "plus"]) == 0
    path = site / capsys.readouterr().out.strip()
    text = path.read_text()
    assert "\n<!--more-->\n" in text and "draft: true" in text
    assert "authors: [ann]\n" in text  # the site's author: a byline is easy to forget
    path.write_text(text.replace("draft: true\n", ""))
    assert main(["build"]) == 0  # the skeleton keeps something back: it may be published as it is
    assert not any(b"only members read" in data for data in read_tree(site / "output" / "public").values())
    err = capsys.readouterr().err  # but it is not what the writer means to publish
    assert 'still has the text `tearsheet new` wrote: "Write the opening everyone reads here."' in err


@pytest.mark.parametrize(("title", "slug"), [("The Fed’s Dilemma", "the-feds-dilemma"),
                                             ("S&P 500 at 6,000", "sp-500-at-6000"), ("Rates & FX", "rates-and-fx"),
                                             ("Die Straße nach Øresund", "die-strasse-nach-oresund")])
def test_new_makes_the_slug_a_reader_would_read(title: str, slug: str) -> None:
    from tearsheet.scaffold import slug_for_title

    assert slug_for_title(title) == slug


def test_new_refuses_to_overwrite(write_site, monkeypatch, capsys) -> None:
    site = write_site({})
    monkeypatch.chdir(site)
    assert main(["new", "Same"]) == 0
    assert main(["new", "Same"]) == 1
    assert "already exists" in capsys.readouterr().err


def test_new_rejects_a_bad_teaser(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["new", "X", "--teaser", "-3"])
    assert exit_.value.code == 2
    assert "not a whole number of words" in capsys.readouterr().err


def test_init_makes_a_site_that_builds_at_once(tmp_path: Path, capsys) -> None:
    target = tmp_path / "letter"
    assert main(["init", str(target), "--title", "Rates Daily"]) == 0
    assert (target / "site.toml").exists() and (target / ".gitignore").exists()
    result = build(target)
    assert result.posts == 1 and result.pages == 2
    home = (target / "output/public/index.html").read_text()
    assert "Rates Daily" in home and "Welcome to Rates Daily" in home


def test_init_refuses_an_existing_site(tmp_path: Path, capsys) -> None:
    assert main(["init", str(tmp_path)]) == 0
    assert main(["init", str(tmp_path)]) == 1
    assert "a site already exists here" in capsys.readouterr().err


def test_no_command_prints_help(capsys) -> None:
    assert main([]) == 2
    assert "usage: tearsheet" in capsys.readouterr().out


def test_build_outside_a_site_makes_nothing(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["build"]) == 1
    assert capsys.readouterr().err.startswith(f"error: {tmp_path}: no site.toml here: this is not a tearsheet site\n")
    assert main(["build", "nosuchdir"]) == 1
    assert capsys.readouterr().err.startswith("error: nosuchdir: no such folder\n")
    assert list(tmp_path.iterdir()) == []  # no output/, no .tearsheet-cache/, no nosuchdir/


def test_build_given_site_toml_asks_for_its_folder(write_site, monkeypatch, capsys) -> None:
    monkeypatch.chdir(write_site({}))
    assert main(["build", "site.toml"]) == 1
    assert capsys.readouterr().err.startswith("error: site.toml: is a file, not a site folder\n"
                                              "    pass its folder instead: .\n")


def test_out_must_be_a_folder_outside_what_the_build_reads(write_site, monkeypatch, capsys) -> None:
    site = write_site({"content/members/welcome.pdf": "a file of the writer's"})
    monkeypatch.chdir(site)
    (site / "notes.txt").write_text("x")
    assert main(["build", "--out", "notes.txt"]) == 1
    assert capsys.readouterr().err.startswith("error: notes.txt: --out is a file, not a folder\n")
    assert main(["build", "--out", "content"]) == 1
    assert capsys.readouterr().err.startswith("error: content: --out is inside the site's content/ folder\n")
    assert main(["clean", "--out", "content"]) == 1
    assert (site / "content/members/welcome.pdf").exists()
    assert not (site / "output").exists()


def test_base_url_flag_must_be_a_url(write_site, monkeypatch, capsys) -> None:
    monkeypatch.chdir(write_site({}))
    assert main(["build", "--base-url", "https://ex ample.com"]) == 1
    assert capsys.readouterr().err.startswith('error: --base-url: "https://ex ample.com" is not an absolute '
                                              "http(s) URL\n")


def test_build_counts_in_words(write_site, capsys) -> None:
    site = write_site({"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-05\n---\n\nWords.\n",
                       "content/pages/about.md": "---\ntitle: About\n---\n\nUs.\n"})
    assert main(["build", str(site)]) == 0
    assert capsys.readouterr().out.startswith("Built 1 post (0 plus) and 1 page: ")


def test_init_never_overwrites_a_file(tmp_path: Path, capsys) -> None:
    (tmp_path / "content" / "pages").mkdir(parents=True)
    (tmp_path / "content" / "pages" / "about.md").write_text("my own about page")
    (tmp_path / "README.md").write_text("my repository")
    assert main(["init", str(tmp_path)]) == 1
    assert capsys.readouterr().err == (f"error: {tmp_path}/content/pages/about.md: already exists\n"
                                       "    move it away, or choose an empty folder for the new site\n")
    assert (tmp_path / "content/pages/about.md").read_text() == "my own about page"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "content"]


def test_init_in_a_fresh_repository_keeps_its_files(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("my repository")
    (tmp_path / ".gitignore").write_text("__pycache__/\noutput/")
    assert main(["init", str(tmp_path)]) == 0
    assert (tmp_path / "README.md").read_text() == "my repository"
    assert (tmp_path / ".gitignore").read_text() == "__pycache__/\noutput/\n.tearsheet-cache/\n.tearsheet-preview/\n"


def test_init_into_a_file_says_so(tmp_path: Path, capsys) -> None:
    (tmp_path / "letter").write_text("x")
    assert main(["init", str(tmp_path / "letter")]) == 1
    assert capsys.readouterr().err.startswith(f"error: {tmp_path}/letter: is a file, not a folder\n")
    assert main(["init", str(tmp_path / "letter" / "site")]) == 1
    err = capsys.readouterr().err
    assert "Not a directory" in err and "previous output" not in err


def test_init_title_with_quotes_builds(tmp_path: Path) -> None:
    target = tmp_path / "letter"
    assert main(["init", str(target), "--title", 'Rates: "The" Letter \\ #1']) == 0
    assert build(target).posts == 1
    assert "Welcome to Rates: \u201cThe\u201d Letter \\ #1" in (target / "output/public/index.html").read_text()


def test_new_with_a_title_in_another_script(write_site, monkeypatch, capsys) -> None:
    site = write_site({})
    monkeypatch.chdir(site)
    assert main(["new", "日本銀行の政策"]) == 0
    printed = capsys.readouterr().out.strip()
    assert re.fullmatch(r"content/posts/\d{4}/post-\d\d-\d\d-\d{4}\.md", printed)
    assert 'title: "日本銀行の政策"' in (site / printed).read_text(encoding="utf-8")
    assert main(["build", "--quiet", "--drafts"]) == 0


def test_new_with_only_punctuation(write_site, monkeypatch, capsys) -> None:
    monkeypatch.chdir(write_site({}))
    assert main(["new", "!!!"]) == 1
    assert capsys.readouterr().err == ('error: tearsheet new: the title "!!!" has no letters or digits\n'
                                       '    give the post a title with words in it: tearsheet new "The small-cap '
                                       'rotation"\n')


def test_init_with_an_empty_folder_name(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", ""]) == 1
    assert capsys.readouterr().err.startswith("error: tearsheet init: no folder given\n")
    assert list(tmp_path.iterdir()) == []


def test_init_prints_a_cd_line_that_works_when_pasted(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "my letter"]) == 0
    assert "  cd 'my letter' && tearsheet serve\n" in capsys.readouterr().out


def test_clean_removes_the_preview_too(write_site, capsys) -> None:
    site = write_site({"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-01\n---\n\nHi.\n"})
    (site / ".tearsheet-preview" / "members").mkdir(parents=True)  # what `serve` builds: both tiers in full
    (site / ".tearsheet-preview" / "members" / "index.html").write_text("every post in full")
    build(site)
    assert main(["clean", str(site)]) == 0
    assert ".tearsheet-preview/" in capsys.readouterr().out
    assert not (site / ".tearsheet-preview").exists() and not (site / "output").exists()


def test_default_tier_is_read_in_any_case_as_a_posts_tier_is(write_site) -> None:
    site = write_site({"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-01\n---\n\nOne two three.\n\n<!--more-->\n\nFour.\n"})
    toml = (site / "site.toml").read_text()
    (site / "site.toml").write_text('default_tier = "Plus"\n' + toml)
    assert build(site).plus_posts == 1


def test_build_says_which_posts_it_left_out_and_why(write_site, capsys) -> None:
    site = write_site({"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-01\n---\n\nHi.\n",
                       "content/posts/b.md": "---\ntitle: B\ndate: 2026-01-02\ndraft: true\n---\n\nHi.\n",
                       "content/posts/c.md": "---\ntitle: C\ndate: 2026-03-01T09:00:00+00:00\n---\n\nHi.\n",
                       "content/posts/d.md": "---\ntitle: D\ndate: 2026-04-01\n---\n\nHi.\n"})
    assert main(["build", str(site), "--now", "2026-02-01"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Built 1 post ")
    assert ("Not built: 1 draft (draft: true; --drafts builds them); 2 posts dated after now, the next "
            "content/posts/c.md on 2026-03-01T09:00+00:00 (--future builds them)") in out
    assert main(["build", str(site), "--now", "2026-02-01", "--drafts", "--future"]) == 0
    assert "Not built" not in capsys.readouterr().out


def test_commands_find_the_site_from_a_folder_inside_it(write_site, monkeypatch, capsys) -> None:
    # a writer in content/posts, where new posts go, runs `tearsheet new` and `tearsheet build` there
    site = write_site({"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-01\n---\n\nHi.\n"})
    monkeypatch.chdir(site / "content" / "posts")
    assert main(["new", "From inside"]) == 0
    printed = capsys.readouterr().out.strip()  # relative to where the writer is
    assert printed.endswith("/from-inside.md") and (site / "content" / "posts" / printed).is_file()
    assert main(["build", "--quiet"]) == 0
    assert (site / "output" / "public" / "index.html").exists()
    assert not (site / "content" / "posts" / "output").exists()


def test_no_site_above_is_still_a_clear_error(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["build"]) == 1
    assert "site.toml" in capsys.readouterr().err
