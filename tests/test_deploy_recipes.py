"""Deploy recipes: the workflow `tearsheet init` writes, and the `_headers` files of both builds."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from tearsheet.cli import main

from .conftest import MINIMAL_TOML, build, read_tree

UPLOADS = ("actions/upload-artifact", "actions/upload-pages-artifact")


@pytest.fixture(scope="module")
def new_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("init") / "letter"
    assert main(["init", str(site), "--title", "Rates Daily"]) == 0
    return site


@pytest.fixture(scope="module")
def workflow(new_site: Path) -> dict[str, Any]:
    return yaml.safe_load((new_site / ".github/workflows/publish.yml").read_text())


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_runs_on_push_to_main_daily_and_by_hand(workflow: dict[str, Any]) -> None:
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers["push"]["branches"] == ["main"]
    assert re.fullmatch(r"\d+ \d+ \* \* \*", triggers["schedule"][0]["cron"])
    assert "workflow_dispatch" in triggers


def test_checks_then_builds_then_deploys_with_the_official_pages_actions(workflow: dict[str, Any]) -> None:
    build_steps = workflow["jobs"]["build"]["steps"]
    runs = [s.get("run", "") for s in build_steps]
    uses = [s.get("uses", "").split("@")[0] for s in build_steps]
    check = next(i for i, r in enumerate(runs) if r.startswith("tearsheet check"))
    built = next(i for i, r in enumerate(runs) if r.startswith("tearsheet build"))
    upload = uses.index("actions/upload-pages-artifact")
    assert check < built < upload
    assert "actions/configure-pages" in uses
    deploy = workflow["jobs"]["deploy-public"]
    assert deploy["needs"] == "build"
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == ["actions/deploy-pages"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert workflow["permissions"] == {"contents": "read"}


def test_members_build_is_never_uploaded_as_an_artifact(workflow: dict[str, Any]) -> None:
    uploads = [s for s in steps(workflow) if s.get("uses", "").split("@")[0] in UPLOADS]
    assert [s["with"]["path"] for s in uploads] == ["output/public"]
    touching = [s for s in steps(workflow)
                if any(name in str(s.get("with", {})) + s.get("run", "") for name in ("output/members", "members-site"))]
    assert [s.get("uses", "").split("@")[0] for s in touching] == ["", "cloudflare/wrangler-action"]
    assert "cp -R output/members/. " in touching[0]["run"]  # laid out in the job's own folder, then deployed
    assert "pages deploy members-site " in touching[1]["with"]["command"]
    assert "output" not in str([s.get("with", {}) for s in uploads]).replace("output/public", "")


def test_members_deploy_uses_secrets_only_in_its_step_and_waits_for_them(workflow: dict[str, Any]) -> None:
    job = workflow["jobs"]["build"]
    members = next(s for s in job["steps"] if s.get("uses", "").startswith("cloudflare/wrangler-action@"))
    assert members["with"]["apiToken"] == "${{ secrets.CLOUDFLARE_API_TOKEN }}"
    assert members["if"] == "env.PUBLISH == 'true' && env.MEMBERS_HOST == 'true'"
    for name in ("secrets.CLOUDFLARE_API_TOKEN != ''", "secrets.CLOUDFLARE_ACCOUNT_ID != ''",
                 "vars.CLOUDFLARE_MEMBERS_PROJECT != ''"):
        assert name in job["env"]["MEMBERS_HOST"]
    assert "secrets." not in str({k: v for k, v in job["env"].items() if k != "MEMBERS_HOST"})  # no step sees them
    token_steps = [s["run"].split()[1] for s in job["steps"] if "MEMBERS_TOKEN" in str(s.get("env", {}))]
    assert token_steps == ["check", "build"]
    assert job["permissions"] == {"contents": "read", "pages": "read"}  # configure-pages, private repositories


def test_pull_requests_and_other_branches_are_checked_but_never_deployed(workflow: dict[str, Any]) -> None:
    job = workflow["jobs"]["build"]
    assert job["env"]["PUBLISH"] == "${{ github.event_name != 'pull_request' && github.ref == 'refs/heads/main' }}"
    for step in job["steps"]:
        if step.get("run", "").startswith("tearsheet check"):
            assert "if" not in step and "--format github" in step["run"]
        elif step.get("uses", "").split("@")[0] in ("actions/configure-pages",):
            assert step["if"] == "github.event_name != 'pull_request'"
        elif "uses" in step and step["uses"].split("@")[0] not in ("actions/checkout", "actions/setup-python"):
            assert step["if"].startswith("env.PUBLISH == 'true'"), step
    assert workflow["jobs"]["deploy-public"]["if"] == ("github.event_name != 'pull_request' && "
                                                        "github.ref == 'refs/heads/main'")


@pytest.mark.parametrize(("base_url", "path"), [("https://someone.github.io/letter", "letter/"),
                                                ("https://letter.example.com", "")])
def test_the_members_site_is_laid_out_under_the_pages_path_on_its_host(workflow: dict[str, Any], new_site: Path,
                                                                       tmp_path: Path, base_url: str, path: str) -> None:
    """The members pages link under the public site's path: on a host of their own they must be found there."""
    import shutil
    import subprocess

    site = tmp_path / "site"
    shutil.copytree(new_site, site, ignore=shutil.ignore_patterns("output", ".tearsheet-cache"))
    assert main(["build", str(site), "--quiet", "--base-url", base_url]) == 0
    layout = next(s for s in workflow["jobs"]["build"]["steps"] if "members-site" in s.get("run", ""))
    subprocess.run(["bash", "-euo", "pipefail", "-c", layout["run"]], cwd=site, check=True,
                   env={"BASE_URL": base_url, "PATH": os.environ["PATH"]})
    deployed = site / "members-site"
    home = (deployed / path / "index.html").read_text()
    css = re.search(r'href="(/[^"]*\.css)"', home)
    assert css and (deployed / css[1].lstrip("/")).is_file()  # the stylesheet is where the page asks for it
    assert _rules((deployed / "_headers").read_text())[f"/{path}*"]["X-Robots-Tag"] == "noindex, nofollow"
    redirects = (deployed / "_redirects").read_text().splitlines() if path else []
    assert redirects == ([f"/ /{path} 302"] if path else [])


def test_the_workflows_tearsheet_commands_work_on_a_new_site(workflow: dict[str, Any], new_site: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(new_site)
    commands = [s["run"] for s in workflow["jobs"]["build"]["steps"] if s.get("run", "").startswith("tearsheet ")]
    assert len(commands) == 2
    for command in commands:
        command = command.replace("${{ steps.pages.outputs.base_url }}", "https://someone.github.io/letter")
        assert main(shlex.split(command)[1:]) == 0, command
    home = (new_site / "output/public/index.html").read_text()
    assert 'href="/letter/' in home


def test_members_headers_keep_search_engines_out(tmp_path: Path) -> None:
    import shutil

    from .conftest import SITES

    site = tmp_path / "tiers"
    shutil.copytree(SITES / "tiers", site)
    build(site)
    public, members = read_tree(site / "output/public"), read_tree(site / "output/members")
    rules = _rules(members["_headers"].decode())
    assert rules["/*"]["X-Robots-Tag"] == "noindex, nofollow"
    assert "X-Robots-Tag" not in public["_headers"].decode()
    cached = {path for path, headers in _rules(public["_headers"].decode()).items()
              if "immutable" in headers.get("Cache-Control", "")}
    css = {f"/{p}" for p in public if p.startswith("assets/") and p.endswith(".css")}
    assert css and css <= cached
    assert all(re.search(r"\.[0-9a-f]{10}\.(css|js)$", url) or url.startswith("/pagefind/") for url in cached)


def test_the_sites_own_host_rules_come_first_in_the_files_tearsheet_writes(write_site) -> None:
    toml = MINIMAL_TOML.replace('base_url = "https://letter.example.com"', 'base_url = "https://letter.example.com/blog"')
    site = write_site({
        "content/_redirects": "/feed /blog/feeds/rss.xml 301\n",
        "content/_headers": "/*\n  X-Frame-Options: DENY\n",
        "content/posts/a.md": "---\ntitle: A\ndate: 2026-03-02\naliases: /2025/a/\n---\n\nHi.\n",
    }, toml=toml)
    build(site)
    for tier in ("public", "members"):
        redirects = (site / "output" / tier / "_redirects").read_text().splitlines()
        assert redirects[0] == "/feed /blog/feeds/rss.xml 301"  # the first rule for a path wins: the site's own
        assert redirects[-1] == "/blog/2025/a/ /blog/2026/03/a/ 301"
        headers = _rules((site / "output" / tier / "_headers").read_text())
        assert headers["/*"]["X-Frame-Options"] == "DENY"
        assert ("/blog/*" in headers) == (tier == "members")  # ours are there too: X-Robots-Tag


def _rules(text: str) -> dict[str, dict[str, str]]:
    """Parse a _headers file: a URL pattern line, then indented `Name: value` lines."""
    rules: dict[str, dict[str, str]] = {}
    current = ""
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line[0].isspace():
            name, value = line.strip().split(":", 1)
            rules[current][name] = value.strip()
        else:
            current = line.strip()
            rules.setdefault(current, {})
    return rules


def test_the_workflow_installs_the_tearsheet_that_wrote_it(workflow: dict[str, Any]) -> None:
    from tearsheet import __version__
    from tearsheet.scaffold import install_spec

    spec = workflow["env"]["TEARSHEET"]
    assert spec == install_spec()[0]
    assert spec == f"tearsheet=={__version__}" or re.fullmatch(r"tearsheet @ git\+\S+@[0-9a-f]{40}", spec)


def test_init_says_when_ci_cannot_install_this_tearsheet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("tearsheet.scaffold.install_spec", lambda: ("tearsheet==0.1.0", False))
    assert main(["init", str(tmp_path / "site")]) == 0
    assert "set TEARSHEET in .github/workflows/publish.yml" in capsys.readouterr().err
    monkeypatch.setattr("tearsheet.scaffold.install_spec", lambda: ("tearsheet @ git+https://x/t@" + "a" * 40, True))
    assert main(["init", str(tmp_path / "other")]) == 0
    assert "TEARSHEET" not in capsys.readouterr().err
    assert 'TEARSHEET: "tearsheet @ git+https://x/t@' in (tmp_path / "other/.github/workflows/publish.yml").read_text()
