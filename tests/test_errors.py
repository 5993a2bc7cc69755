"""Bad input: a clear `path:line: message`, exit code 1, every problem at once, previous output untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from tearsheet.cli import main

from .conftest import read_tree

GOOD_POST = "---\ntitle: Good\ndate: 2026-01-05\n---\n\nA good post.\n"

# file name, its bytes, the first line of the expected report for it
BAD_INPUTS = [
    ("unclosed.md", b"---\ntitle: x\ndate: 2026-01-01\nbody\n", "content/posts/unclosed.md:1: front matter is not closed"),
    ("nofence.md", b"title: x\n", "content/posts/nofence.md:1: no front matter: the file must start with a line"),
    ("yaml.md", b"---\ntitle: x\ndate: [2026\n---\n", "content/posts/yaml.md:4: front matter is not valid YAML"),
    ("tier.md", b"---\ntitle: x\ndate: 2026-01-01\ntier: premium\n---\n",
     'content/posts/tier.md:4: tier must be "free" or "plus", got "premium"'),
    ("negative.md", b"---\ntitle: x\ndate: 2026-01-01\nteaser: -5\n---\n",
     'content/posts/negative.md:4: teaser must be a whole number of words, 0 or more, got "-5"'),
    ("words.md", b"---\ntitle: x\ndate: 2026-01-01\nteaser: lots\n---\n",
     'content/posts/words.md:4: teaser must be a whole number of words, 0 or more, got "lots"'),
    ("date.md", b"---\ntitle: x\ndate: next tuesday\n---\n", 'content/posts/date.md:3: `date` is not a date: "next tuesday"'),
    ("untitled.md", b"---\ndate: 2026-01-01\n---\n", "content/posts/untitled.md:1: missing `title`"),
    ("escape.md", b"---\ntitle: x\ndate: 2026-01-01\nslug: ../../etc\n---\n",
     'content/posts/escape.md:4: `slug` gives the slug "../../etc", which is not lowercase letters'),
    ("latin1.md", "---\ntitle: café\n".encode("latin-1"), "content/posts/latin1.md:2: not UTF-8 text"),
    ("binary.md", b"\x89PNG\r\n\x1a\n\x00\x00", "content/posts/binary.md: not a text file"),
    ("empty.md", b"", "content/posts/empty.md: file is empty"),
    ("typo.md", b"---\ntitle: x\ndate: 2026-01-01\nteasr: 5\n---\n", 'content/posts/typo.md:4: unknown front-matter key "teasr"'),
    ("author.md", b"---\ntitle: x\ndate: 2026-01-01\nauthors: [bob]\n---\n", 'content/posts/author.md:4: unknown author "bob"'),
]


@pytest.fixture
def built_site(write_site, tmp_path: Path) -> Path:
    site = write_site({"content/posts/good.md": GOOD_POST})
    assert main(["build", str(site), "--quiet"]) == 0
    return site


def run_build(site: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["build", str(site)])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(("name", "data", "expected"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_post_is_named_and_output_kept(built_site: Path, capsys, name: str, data: bytes, expected: str) -> None:
    before = read_tree(built_site / "output")
    (built_site / "content" / "posts" / name).write_bytes(data)
    code, err = run_build(built_site, capsys)
    assert code == 1
    assert expected in err
    assert "Traceback" not in err
    assert "Nothing was written" in err
    assert read_tree(built_site / "output") == before


def test_every_problem_is_reported_in_one_run(built_site: Path, capsys) -> None:
    for name, data, _ in BAD_INPUTS:
        (built_site / "content" / "posts" / name).write_bytes(data)
    (built_site / "templates").mkdir()
    (built_site / "templates" / "post.html").write_text("{% extends 'base.html' %}\n{% block content %}\n{% if x %}\n")
    code, err = run_build(built_site, capsys)
    assert code == 1
    assert err.startswith(f"{len(BAD_INPUTS) + 1} problems:")
    for _, _, expected in BAD_INPUTS:
        assert expected in err
    assert "templates/post.html:3: template syntax error" in err


def test_hint_follows_the_message(built_site: Path, capsys) -> None:
    (built_site / "content" / "posts" / "typo.md").write_bytes(BAD_INPUTS[-2][1])
    _, err = run_build(built_site, capsys)
    assert 'unknown front-matter key "teasr"\n    did you mean "teaser"?' in err


def test_two_posts_with_one_url(built_site: Path, capsys) -> None:
    (built_site / "content" / "posts" / "other.md").write_text("---\ntitle: Other\ndate: 2026-01-09\nslug: good\n---\n")
    code, err = run_build(built_site, capsys)
    assert code == 1
    assert "/2026/01/good/ is also the URL of content/posts/" in err


def test_template_runtime_error_names_template_and_line(built_site: Path, capsys) -> None:
    (built_site / "templates").mkdir()
    (built_site / "templates" / "post.html").write_text(
        "{% extends 'base.html' %}\n{% block content %}\n{{ post.titel }}\n{% endblock %}\n")
    code, err = run_build(built_site, capsys)
    assert code == 1
    assert "templates/post.html:3: template error:" in err
    assert "titel" in err


@pytest.mark.parametrize(("toml", "expected"), [
    ('title = "x\n', "site.toml:1: site.toml is not valid TOML"),
    ('title = "x"\nteaser_word = 5\n', 'site.toml:2: unknown key "teaser_word"'),
    ('title = "x"\ntimezone = "Mars/Olympus"\n', 'site.toml:2: unknown time zone "Mars/Olympus"'),
    ('title = "x"\nposts_per_page = "ten"\n', "site.toml:2: `posts_per_page` must be a whole number"),
    ('title = "x"\n[paywall]\nheadlin = "Read on"\n', 'site.toml:3: [paywall] unknown key "headlin"'),
    ('title = "x"\npermalink = "/{year}/{title}/"\n', "site.toml:2: permalink must start and end"),
])
def test_broken_site_toml(built_site: Path, capsys, toml: str, expected: str) -> None:
    before = read_tree(built_site / "output")
    (built_site / "site.toml").write_text(toml)
    code, err = run_build(built_site, capsys)
    assert code == 1
    assert expected in err
    assert read_tree(built_site / "output") == before


def test_missing_site_toml(tmp_path: Path, capsys) -> None:
    code = main(["build", str(tmp_path)])
    assert code == 1
    assert "no site.toml here" in capsys.readouterr().err


def test_markdown_outside_posts_and_pages_is_refused(built_site: Path, capsys) -> None:
    (built_site / "content" / "notes.md").write_text(GOOD_POST)
    code, err = run_build(built_site, capsys)
    assert code == 1
    assert "content/notes.md: Markdown file outside content/posts/ and content/pages/" in err
