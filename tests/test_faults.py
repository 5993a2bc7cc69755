"""Faults mid-build (Ctrl-C, a full disk) leave the previous output whole; edits leave no stale pages."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import tearsheet.output
from tearsheet.audit import audit_output
from tearsheet.cli import main

from .conftest import build, ctrl_c_as_in_a_terminal, read_tree

POST = """\
---
title: "Post {n}"
date: 2026-10-{day:02d}T07:00:00Z
tier: {tier}
teaser: 6
---

Six public words open post {n}. Members alone read how auctions shrink and bills lean on the front end {n}.
"""


def posts(count: int, tier: str = "plus", extra: str = "") -> dict[str, str | bytes]:
    return {f"content/posts/p{n}.md": POST.format(n=n, day=1 + n % 28, tier=tier) + extra for n in range(count)}


def leftovers(site: Path) -> list[str]:
    return [name for name in os.listdir(site / "output") if name not in ("public", "members")]


def fail_on_write(monkeypatch: pytest.MonkeyPatch, after: int, error: BaseException) -> None:
    """Make the writer's n-th file write raise `error` (as Ctrl-C or a full disk would)."""
    calls = {"n": 0}

    def wrap(original: Callable[..., object]) -> Callable[..., object]:
        def write(*args: object) -> object:
            calls["n"] += 1
            if calls["n"] > after:
                raise error
            return original(*args)

        return write

    monkeypatch.setattr(tearsheet.output, "_write_new", wrap(tearsheet.output._write_new))
    monkeypatch.setattr(tearsheet.output, "_write_bytes", wrap(tearsheet.output._write_bytes))


@pytest.mark.parametrize("cache", [True, False])
@pytest.mark.parametrize(("fault", "code", "said"), [
    (KeyboardInterrupt(), 130, "interrupted: the previous output is as it was"),
    (OSError(errno.ENOSPC, "No space left on device"), 1, "No space left on device"),
])
@pytest.mark.parametrize("after", [0, 5, 40])
def test_a_fault_while_writing_leaves_the_previous_output(write_site: Callable[..., Path],
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str], cache: bool,
                                                          fault: BaseException, code: int, said: str,
                                                          after: int) -> None:
    site = write_site(posts(12))
    flags = [] if cache else ["--no-cache"]
    assert main(["build", str(site), "--jobs", "1", "-q", *flags]) == 0
    before = read_tree(site / "output")
    for n in range(12):
        (site / "content" / "posts" / f"p{n}.md").write_text(POST.format(n=n, day=1, tier="free") + "More.\n")
    fail_on_write(monkeypatch, after, fault)
    assert main(["build", str(site), "--jobs", "1", "-q", *flags]) == code
    assert said in capsys.readouterr().err
    assert read_tree(site / "output") == before
    assert leftovers(site) == []
    monkeypatch.undo()  # the disk has room again: the next build is whole and correct
    assert main(["build", str(site), "--jobs", "1", "-q", *flags]) == 0
    assert "More." in (site / "output" / "public" / "2026" / "10" / "p3" / "index.html").read_text()


def test_ctrl_c_in_the_audit_leaves_the_previous_output(write_site: Callable[..., Path],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    site = write_site(posts(3))
    build(site)
    before = read_tree(site / "output")
    (site / "content" / "posts" / "p1.md").write_text(POST.format(n=1, day=2, tier="free"))

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("tearsheet.audit.check_public_tree", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build(site)
    assert read_tree(site / "output") == before
    assert leftovers(site) == []


def test_ctrl_c_while_indexing_leaves_no_indexer_running(write_site: Callable[..., Path],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import tearsheet.search

    if tearsheet.search.find_pagefind() is None:
        pytest.skip("no pagefind binary: the search index is not built")
    site = write_site(posts(3))
    build(site)
    before = read_tree(site / "output")
    (site / "content" / "posts" / "p1.md").write_text(POST.format(n=1, day=2, tier="free"))
    started: list[subprocess.Popen[str]] = []
    real_start = tearsheet.search._start

    def start(*args: str) -> subprocess.Popen[str]:
        started.append(real_start(*args))
        return started[-1]

    def interrupted(run: subprocess.Popen[str]) -> str:
        raise KeyboardInterrupt  # as if Ctrl-C came while the first indexer ran

    monkeypatch.setattr("tearsheet.search._start", start)
    monkeypatch.setattr("tearsheet.search._finish", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build(site)
    assert len(started) == 2 and all(run.poll() is not None for run in started)
    assert read_tree(site / "output") == before
    assert leftovers(site) == []


@pytest.mark.parametrize("whole_group", [False, True], ids=["to-the-build", "as-a-terminal-sends-it"])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_real_sigint_mid_build_leaves_the_previous_output(write_site: Callable[..., Path], jobs: str,
                                                            whole_group: bool) -> None:
    site = write_site(posts(150, extra="\n" + "A paragraph of padding words for rendering time. " * 200 + "\n"))
    command = [sys.executable, "-m", "tearsheet", "build", str(site), "--jobs", jobs, "-q"]
    subprocess.run(command, check=True, timeout=300)
    before = read_tree(site / "output")
    for n in range(150):
        path = site / "content" / "posts" / f"p{n}.md"
        path.write_text(path.read_text().replace("tier: plus", "tier: free"))
    # A terminal's Ctrl-C reaches the build's whole process group, its page workers too
    build_process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, start_new_session=whole_group,
                                     preexec_fn=ctrl_c_as_in_a_terminal)
    deadline = time.monotonic() + 60
    while not any(n.startswith(".tearsheet-staging-") for n in os.listdir(site / "output")):
        assert build_process.poll() is None and time.monotonic() < deadline, "the build never staged"
        time.sleep(0.002)
    if whole_group:
        os.killpg(build_process.pid, signal.SIGINT)
    else:
        build_process.send_signal(signal.SIGINT)
    _, err = build_process.communicate(timeout=120)  # a worker left behind would hold stderr open
    assert leftovers(site) == []
    if build_process.returncode == 0:
        # A Ctrl-C that lands in a finalizer or weakref callback is swallowed by Python ("Exception
        # ignored in ..."), and on a loaded machine the signal can come only as the build ends: the
        # build then finishes. Whole, it must be the new output.
        assert "Members alone read" in (site / "output" / "public" / "2026" / "10" / "p3" / "index.html").read_text()
        return
    assert build_process.returncode == 130, err
    assert "Traceback" not in err
    assert read_tree(site / "output") == before


@pytest.mark.parametrize("cache", [True, False])
def test_a_post_made_plus_leaves_no_full_text_in_public(write_site: Callable[..., Path], cache: bool) -> None:
    site = write_site(posts(4, tier="free"))
    build(site, cache=cache)
    path = site / "content" / "posts" / "p2.md"
    path.write_text(path.read_text().replace("tier: free", "tier: plus"))
    build(site, cache=cache)
    public = read_tree(site / "output" / "public")
    assert not [name for name, data in public.items() if b"bills lean on the front end 2" in data]
    assert b"bills lean on the front end 2" in (site / "output" / "members" / "2026" / "10" / "p2" / "index.html"
                                               ).read_bytes()
    assert audit_output(str(site), str(site / "output")).problems == ()


@pytest.mark.parametrize("cache", [True, False])
def test_a_renamed_post_leaves_no_page_at_its_old_address(write_site: Callable[..., Path], cache: bool) -> None:
    site = write_site(posts(4))
    build(site, cache=cache)
    (site / "content" / "posts" / "p1.md").rename(site / "content" / "posts" / "renamed.md")
    build(site, cache=cache)
    for tier in ("public", "members"):
        files = read_tree(site / "output" / tier)
        assert not any("/p1/" in f"/{name}" for name in files), tier
        assert not [name for name, data in files.items() if b"/2026/10/p1/" in data], tier
        assert "2026/10/renamed/index.html" in files
