"""Shared fixtures: one-off sites written from dicts, and the bundled fixture sites."""

from __future__ import annotations

import os
import shutil
import signal
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tearsheet.build import BuildOptions, BuildResult, build_site

HERE = Path(__file__).parent
REPO = HERE.parent
SITES = HERE / "sites"

MINIMAL_TOML = """\
title = "Test Letter"
base_url = "https://letter.example.com"
timezone = "UTC"
teaser_words = 10

[authors.ann]
name = "Ann Analyst"

[paywall]
headline = "Members read on"
pitch = "Join institutional investors who read every note."
price = "$7/month"
trial = "Try one month for FREE"
subscribe_url = "/subscribe/"
login_url = "https://letter.example.com/login"
"""


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(textwrap.dedent(data).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def write_site(tmp_path: Path) -> Callable[..., Path]:
    """Write a site from {relative path: text}; site.toml defaults to a minimal one."""

    def write(files: dict[str, str | bytes], toml: str = MINIMAL_TOML) -> Path:
        site = tmp_path / "site"
        site.mkdir(exist_ok=True)
        write_files(site, {"site.toml": toml, **files})
        return site

    return write


@pytest.fixture
def copy_site(tmp_path: Path) -> Callable[[str], Path]:
    """Copy a fixture site from tests/sites/<name> into a temporary folder."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(SITES / name, target)
        return target

    return copy


def build(site: Path, **options: object) -> BuildResult:
    return build_site(BuildOptions(site_dir=str(site), **options))  # type: ignore[arg-type]


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file under root as {relative path: bytes}."""
    files = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            files[str(path.relative_to(root))] = path.read_bytes()
    return files


@pytest.fixture(scope="session")
def chromium():  # type: ignore[no-untyped-def]
    """Debian's chromium driven by Playwright; skipped locally without it, required under CI."""
    executable = shutil.which("chromium")
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (apt-get install chromium); CI must run the browser tests")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        browser.close()


@pytest.fixture
def static_server():  # type: ignore[no-untyped-def]
    """Serve a folder over HTTP on a free loopback port; yields a function folder -> base URL."""
    import functools
    import http.server
    import threading

    servers = []

    def serve(folder: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


class _QuietHandler:  # replaced below with a real subclass, kept import-light for non-browser runs
    pass


def _make_quiet_handler() -> type:
    import http.server

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    return QuietHandler


_QuietHandler = _make_quiet_handler()  # type: ignore[misc]


def ctrl_c_as_in_a_terminal() -> None:
    """For a process a test sends Ctrl-C to: a suite started in the background (`cmd &` in a script)
    ignores SIGINT, and so would every process it starts."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def child_processes() -> set[str]:
    """This process's child processes, zombies included (Linux)."""
    with open(f"/proc/{os.getpid()}/task/{os.getpid()}/children", encoding="ascii") as handle:
        return set(handle.read().split())
