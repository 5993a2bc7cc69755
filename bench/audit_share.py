#!/usr/bin/env python3
"""The paywall audit's share of a cold build: builds with the audit against builds without it.

    python3 bench/audit_share.py [--posts 4000] [--runs 3] [--jobs N] [--work DIR]

On the benchmark corpus (bench/make_corpus.py, seed 7, search off) it runs cold builds (no cache, no
output) in fresh processes, in turn with the audit and with the audit replaced by a step that does
nothing, and reports the median of each and the audit's share: (with - without) / with, of wall time
and of CPU time (user and system, of the build and its workers).
Measured this way the share counts all the audit costs a build: its imports, its inputs, its
processes. On a machine whose speed drifts from one build to the next (a shared VM) that difference
is noisy, so it also gives the share within each build that had the audit: the audit's own stopwatch
(its imports, inputs, processes and run; BuildResult.timings["audit"]) over the build's wall time,
the median over the builds. Then a one-edit build with the cache, where the stopwatch is the figure.
The build without the audit exists only here: tearsheet itself has no way to turn the audit off.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_corpus  # noqa: E402 - the generator beside this script
from set_aside import SetAside  # noqa: E402

BUILD = """
import contextlib, json, sys, time
start = time.perf_counter()
import tearsheet.audit
from tearsheet.build import BuildOptions, build_site
from tearsheet.heap import fewer_collections
fewer_collections()  # as the command line does
if sys.argv[2] == "without":
    tearsheet.audit.audit_step = lambda *args, **kwargs: (lambda staging_dir: None)
    tearsheet.audit.audit_ahead = lambda *args, **kwargs: contextlib.nullcontext()
jobs = int(sys.argv[4]) or None
result = build_site(BuildOptions(site_dir=sys.argv[1], cache=sys.argv[3] == "cache", jobs=jobs))
print(json.dumps({"seconds": time.perf_counter() - start, "audit": result.timings.get("audit", 0.0)}))
"""


def build(site: str, audit: bool, cache: bool, jobs: int) -> dict[str, float]:
    """One build in a fresh process: its wall seconds, the audit's, and the CPU seconds of all its processes."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([sys.executable, "-c", BUILD, site, "with" if audit else "without",
                          "cache" if cache else "no-cache", str(jobs)], check=True, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the build's workers too: it waits for them
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {**json.loads(out.stdout.splitlines()[-1]), "cpu": cpu}


def cold(site: str, audit: bool, jobs: int, aside: SetAside) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, the audit's seconds) of a cold build."""
    aside(os.path.join(site, "output"), os.path.join(site, ".tearsheet-cache"))  # not deleted: see set_aside.py
    result = build(site, audit, False, jobs)
    if audit != (result["audit"] > 0):
        raise SystemExit("the audit ran when it should not, or not when it should: the build has changed "
                         "how it calls the audit, and this script must follow")
    return result["seconds"], result["cpu"], result["audit"]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--posts", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=0, help="processes (default: every core)")
    parser.add_argument("--work", help="folder for the corpus (default: a temporary one)")
    args = parser.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="tearsheet-audit-share-")
    site = os.path.join(work, f"site-{args.posts}")
    if not os.path.isdir(os.path.join(site, "content")):
        make_corpus.write_corpus(site, args.posts, 7, "tearsheet")
        with open(os.path.join(site, "site.toml"), "a", encoding="utf-8") as handle:
            handle.write("\n[search]\nenabled = false\n")
    aside = SetAside(work)
    with_audit: list[tuple[float, float, float]] = []
    without: list[tuple[float, float, float]] = []
    for run in range(args.runs):
        for audit in (run % 2 == 0, run % 2 == 1):  # alternate which goes first
            (with_audit if audit else without).append(cold(site, audit, args.jobs, aside))
    for label, index in (("wall", 0), ("CPU", 1)):
        runs_with, runs_without = [r[index] for r in with_audit], [r[index] for r in without]
        a, b = statistics.median(runs_with), statistics.median(runs_without)
        print(f"{args.posts} posts, cold, {label} time: with the audit {a:.2f} s, without {b:.2f} s "
              f"(runs: {', '.join(f'{s:.2f}' for s in runs_with)} / {', '.join(f'{s:.2f}' for s in runs_without)})")
        print(f"  the audit's share of a cold build's {label} time: {(a - b) / a:.1%}")
    within = [audit / seconds for seconds, _, audit in with_audit]
    print(f"  within each build with the audit, its stopwatch over the build's wall time: median "
          f"{statistics.median(within):.1%} (runs: {', '.join(f'{share:.1%}' for share in within)})")
    build(site, True, True, args.jobs)  # a build that keeps the cache and the audit's memory
    edits = []
    post = sorted(os.path.join(folder, name) for folder, _, names in os.walk(os.path.join(site, "content", "posts"))
                  for name in names if name.endswith(".md"))[0]
    for run in range(args.runs):
        with open(post, "a", encoding="utf-8") as handle:
            handle.write(f"\nOne more sentence for the audit share's edit {run}.\n")
        edits.append(build(site, True, True, args.jobs))
    seconds = statistics.median(e["seconds"] for e in edits)
    audit = statistics.median(e["audit"] for e in edits)
    print(f"  one edit: build {seconds:.2f} s, audit {audit:.2f} s ({audit / seconds:.1%})")
    aside.clear()
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
