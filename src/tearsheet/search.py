"""Client-side search: a Pagefind index of each tier, made from that tier's staged pages.

Pagefind reads the HTML as written, so the public index holds what the public pages hold (teasers
of plus posts) and the members index the full text. Templates mark post and page bodies with
`data-pagefind-body`, so lists and tag pages are not indexed as duplicates.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence

from .config import SiteConfig
from .errors import SiteError

PAGEFIND_DIR = "pagefind"  # the index's folder in each tier, so /pagefind/pagefind-ui.js
BINARY_ENV = "PAGEFIND_BINARY_PATH"
MISSING = ("search is off for this build: the pagefind binary is not installed "
           "(pip install 'pagefind[bin]', or set [search] enabled = false in site.toml to silence this)")


def find_pagefind() -> str | None:
    """The Pagefind binary: $PAGEFIND_BINARY_PATH, else the pagefind-bin wheel's, else one on PATH."""
    chosen = os.environ.get(BINARY_ENV, "").strip()
    if chosen:
        return chosen if os.path.isfile(chosen) and os.access(chosen, os.X_OK) else None
    for module in ("pagefind_bin_extended", "pagefind_bin"):
        try:
            found = __import__(module).get_executable()
        except (ImportError, FileNotFoundError):
            continue
        return str(found)
    return shutil.which("pagefind_extended") or shutil.which("pagefind")


def search_setup(config: SiteConfig) -> tuple[SiteConfig, str | None, tuple[str, ...]]:
    """The config to build with, the binary to index with, and warnings.

    Without a binary the build goes on with search turned off (no search page, no nav link), and says so.
    """
    if not config.search.enabled:
        return config, None, ()
    binary = find_pagefind()
    if binary is not None:
        return config, binary, ()
    off = dataclasses.replace(config, search=dataclasses.replace(config.search, enabled=False))
    return off, None, (MISSING,)


def index_staged(binary: str, tiers: Sequence[str]) -> Callable[[str], None]:
    """A before-swap step: index every tier's staged tree, both at once; any failure stops the swap."""

    def index(staging_dir: str) -> None:
        for tier in tiers:
            _check_free(os.path.join(staging_dir, tier))
        runs: list[tuple[str, subprocess.Popen[str]]] = []
        try:
            for tier in tiers:
                runs.append((tier, _start(binary, staging_dir, tier)))
            failures = [(tier, _finish(run)) for tier, run in runs]
        except BaseException:  # Ctrl-C, say: no indexer is left running into the staging folder
            for _tier, run in runs:
                run.kill()
                run.wait()
            raise
        problems = [(tier, message) for tier, message in failures if message]
        if problems:
            tier, message = problems[0]
            raise SiteError.one(f"output/{tier}", None, f"the search index could not be built: {message}",
                                "run the build again with [search] enabled = false in site.toml to build "
                                "without search, and report this with the message above")

    return index


def _check_free(tier_dir: str) -> None:
    if os.path.exists(os.path.join(tier_dir, PAGEFIND_DIR)):
        raise SiteError.one(f"content/{PAGEFIND_DIR}", None,
                            f"/{PAGEFIND_DIR}/ is where the search index goes, and the site already has it",
                            f"rename the folder content/{PAGEFIND_DIR}/, or set [search] enabled = false")


def _start(binary: str, staging_dir: str, tier: str) -> subprocess.Popen[str]:
    # cwd is the staging folder so that no pagefind.yml lying around changes the index.
    return subprocess.Popen([binary, "--site", tier, "--output-subdir", PAGEFIND_DIR, "--silent"],
                            cwd=staging_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(run: subprocess.Popen[str]) -> str:
    """Wait for one indexing run; return its last line of output if it failed, else ""."""
    output, _ = run.communicate()
    if run.returncode == 0:
        return ""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else f"pagefind exited with status {run.returncode}"
