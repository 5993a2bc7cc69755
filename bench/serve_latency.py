#!/usr/bin/env python3
"""Measure `tearsheet serve` edit -> reload latency on a copy of a site.

    python bench/serve_latency.py SITE_DIR [--runs 5] [--no-browser] [--newest] [--at-start] [--long]

For each run it adds a paragraph to one post's Markdown (a free post in the middle of the site, or
with --newest the newest free post, which every feed it is in shows; at its end, or with --at-start at
its start, which changes its summary on every list when it has no description; with --long, a
paragraph of 320 words, which changes its reading time and so its card on every list) and times,
from the file write:
  detect    until the watcher reported the change and the fast render (or the rebuild) began,
  fast      the fast render, from the file event to the pages and feeds the edit changes in place (as
            the server logs it),
  rebuild   the full build, from the file event to the rebuilt pages swapped in (as the server logs it),
  rebuilt   until the full rebuild's pages are in place (after the fast render and a pause for tabs to reload),
  event     until the live-reload event for the new build reaches an EventSource-like client,
  visible   until the new text is on the screen of a page open in Debian's chromium (no manual reload).
It also counts the files the full rebuild changed after the fast render (`more`: 0 when the fast
render had made every change). The site is copied first (without output/ and caches), so the
original is never edited.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time

from tearsheet.content import read_config, read_content
from tearsheet.heap import fewer_collections
from tearsheet.serve import ServeOptions, serve
from tearsheet.site import post_url

SKIP = shutil.ignore_patterns("output", ".tearsheet-*", ".git", ".venv")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site_dir")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-browser", action="store_true", help="time the reload event only")
    parser.add_argument("--newest", action="store_true", help="edit the newest free post (in every feed)")
    parser.add_argument("--at-start", action="store_true", help="add the paragraph at the start of the body")
    parser.add_argument("--long", action="store_true", help="add 320 words (the reading time changes)")
    args = parser.parse_args()
    fewer_collections()  # as `tearsheet serve` does (cli.py)
    with tempfile.TemporaryDirectory() as tmp:
        site = os.path.join(tmp, "site")
        shutil.copytree(args.site_dir, site, ignore=SKIP)
        load = os.getloadavg()[0]
        rows = measure(site, args.runs, browser=not args.no_browser, newest=args.newest, at_start=args.at_start,
                       long=args.long)
    report(rows)
    print(f"load average {load:.1f} before, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores")
    return 0


def measure(site: str, runs: int, browser: bool, newest: bool = False, at_start: bool = False,
            long: bool = False) -> list[dict[str, float]]:
    logged: list[tuple[float, str]] = []
    ready: list[str] = []
    stop = threading.Event()
    thread = threading.Thread(target=serve, args=(ServeOptions(site_dir=site, port=0),
                                                  lambda m: logged.append((time.perf_counter(), m))),
                              kwargs={"ready": ready.append, "stop": stop}, daemon=True)
    thread.start()
    while not ready:
        time.sleep(0.01)
    first_build = next(m for _, m in logged if m.startswith("Built"))
    print(f"{site}: {first_build}", file=sys.stderr)
    path, url = pick_post(site, newest)
    events = EventLog(int(ready[0].rsplit(":", 1)[1]))
    page = open_page(ready[0] + url) if browser else None
    rows = []
    try:
        for run in range(runs):
            rows.append(one_edit(path, f"zqlatency{run}", events, page, logged, at_start, long))
            time.sleep(0.3)
    finally:
        stop.set()
        thread.join(timeout=30)
    return rows


def one_edit(path: str, marker: str, events: EventLog, page, logged,  # type: ignore[no-untyped-def]
             at_start: bool = False, long: bool = False) -> dict[str, float]:
    seen = events.count()
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    paragraph = f"A new paragraph {marker}." + " More words for the reader to read." * (46 if long else 0)
    if at_start:
        head, _, body = text.partition("\n---\n")  # the front matter's end
        text = f"{head}\n---\n{paragraph}\n\n{body}"
    else:
        text = f"{text}\n\n{paragraph}\n"
    start = time.perf_counter()
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    row = {"event": events.wait_after(seen) - start}
    if page is not None:
        page.wait_for_function("m => document.body.innerText.includes(m)", arg=marker, polling="raf",
                               timeout=120_000)
        row["visible"] = time.perf_counter() - start
    deadline = time.perf_counter() + 120
    while not any(t > start and m.startswith("Rebuilt") for t, m in logged) and time.perf_counter() < deadline:
        time.sleep(0.01)  # the text may be on screen (fast render) before the full rebuild ends
    fast = [(t, m) for t, m in logged if t > start and m.startswith("Updated")]
    if fast:
        when, message = fast[0]
        row["fast"] = float(re.search(r"in ([\d.]+) ms", message).group(1)) / 1000  # type: ignore[union-attr]
        row["detect"] = when - start - row["fast"]
    rebuilt = [(t, m) for t, m in logged if t > start and m.startswith("Rebuilt")]
    if rebuilt:
        when, message = rebuilt[0]
        row["rebuild"] = float(re.search(r"in ([\d.]+)s", message).group(1))  # type: ignore[union-attr]
        row["rebuilt"] = when - start
        more = re.search(r", (\d+) more files? updated$", message)
        if fast:
            row["more"] = float(more.group(1)) if more else 0.0
        row.setdefault("detect", row["rebuilt"] - row["rebuild"])
    return row


def pick_post(site: str, newest: bool = False) -> tuple[str, str]:
    """A free post in the middle of the site, or the newest (its whole body is on its public page)."""
    config = read_config(site)
    posts = [p for p in read_content(site, config).posts if p.meta.tier == "free" and not p.meta.draft]
    if newest:
        meta = max(posts, key=lambda p: (p.meta.date, p.meta.slug)).meta
    else:
        meta = sorted(posts, key=lambda p: p.meta.path)[len(posts) // 2].meta
    return os.path.join(site, meta.path), post_url(config, meta).removeprefix(_base(config))


def _base(config) -> str:  # type: ignore[no-untyped-def]
    from tearsheet.site import base_path

    return base_path(config)


class EventLog:
    """Listen to the live-reload stream like a browser tab does; note when each new build is announced."""

    def __init__(self, port: int) -> None:
        self.times: list[float] = []
        self.builds: set[str] = set()
        self.lock = threading.Condition()
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.sendall(f"GET /_tearsheet/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_after(0)  # the current build, which the stream announces first: not an edit's

    def _read(self) -> None:
        buffer = b""
        while chunk := self.sock.recv(65536):
            *blocks, buffer = (buffer + chunk).split(b"\n\n")
            for block in blocks:
                if block.startswith(b"event: status"):
                    build = json.loads(block.split(b"data: ", 1)[1])["build"]
                    with self.lock:
                        if build not in self.builds:
                            self.builds.add(build)
                            self.times.append(time.perf_counter())
                            self.lock.notify_all()

    def count(self) -> int:
        with self.lock:
            return len(self.times)

    def wait_after(self, seen: int) -> float:
        with self.lock:
            self.lock.wait_for(lambda: len(self.times) > seen, timeout=120)
            return self.times[seen]


def open_page(url: str):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                         args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
    page = browser.new_page()
    page.goto(url)
    page.wait_for_timeout(300)  # let the EventSource connect
    return page


def report(rows: list[dict[str, float]]) -> None:
    for key in ("detect", "fast", "rebuild", "rebuilt", "event", "visible"):
        values = [r[key] for r in rows if key in r]
        if values:
            print(f"{key:8} median {statistics.median(values) * 1000:7.0f} ms   "
                  f"min {min(values) * 1000:7.0f}   max {max(values) * 1000:7.0f}   (n={len(values)})")
    more = [r["more"] for r in rows if "more" in r]
    if more:
        print(f"more     files the full rebuild changed after the fast render: {', '.join(f'{m:.0f}' for m in more)}")


if __name__ == "__main__":
    sys.exit(main())
