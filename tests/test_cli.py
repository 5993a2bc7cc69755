"""The verbs a writer types: --help, --version, new, init."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tearsheet import __version__
from tearsheet.cli import main

from .conftest import build


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


def test_new_writes_a_dated_post_that_builds(write_site, monkeypatch, capsys) -> None:
    site = write_site({})
    monkeypatch.chdir(site)
    assert main(["new", "Fed Minutes: What's Next?", "--tier", "plus", "--teaser", "80"]) == 0
    printed = capsys.readouterr().out.strip()
    assert re.fullmatch(r"content/posts/\d{4}/fed-minutes-what-s-next\.md", printed)
    text = (site / printed).read_text()
    assert 'title: "Fed Minutes: What\'s Next?"' in text and "tier: plus" in text and "teaser: 80" in text
    assert re.search(r"date: \d{4}-\d\d-\d\dT\d\d:\d\d:00\+00:00", text)
    assert main(["build", "--quiet", "--drafts"]) == 0


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
