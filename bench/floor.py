#!/usr/bin/env python3
"""The floor of a cold build on the usual Python libraries: parse, render, wrap, write. Nothing else.

    python3 bench/floor.py CONTENT_DIR OUT_DIR [--jobs N]

Reads every *.md under CONTENT_DIR (YAML front matter between '---' lines), loads the front matter
with PyYAML (CSafeLoader when libyaml is there), renders the body with markdown-it-py (CommonMark +
tables + typographer + footnotes), wraps it in one Jinja2 template and writes
OUT_DIR/posts/YEAR/SLUG/index.html; then index.html (every post) and index.xml (RSS, 20 latest).
No tiers, teasers, tag pages or caching: a floor, not a generator. The same work as the shared
floor script the issue's reference figures come from.

--jobs 1 runs in one process; --jobs N forks N workers that each parse, render and write their posts.
Prints one line: posts, files written, seconds, jobs.
"""

from __future__ import annotations

import argparse
import os
import time
from multiprocessing import get_context
from xml.sax.saxutils import escape

import jinja2
import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
PAGE = jinja2.Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }} | Bench</title></head>
<body><article><h1>{{ title }}</h1>
<p><time>{{ date.strftime("%Y-%m-%d") }}</time></p>
{{ content|safe }}
</article></body></html>
""")
INDEX = jinja2.Environment(autoescape=True).from_string(
    '<!doctype html><html><head><meta charset="utf-8"><title>Bench</title></head><body><ul>'
    "{% for url, title, date, _ in rows %}<li><a href=\"{{ url }}\">{{ title }}</a> "
    "<time>{{ date.strftime('%Y-%m-%d') }}</time></li>\n{% endfor %}</ul></body></html>")
_state: dict[str, object] = {}  # each worker's Markdown parser and output folder, made when it starts


def make_markdown() -> MarkdownIt:
    return (MarkdownIt("commonmark", {"typographer": True})
            .enable(["table", "replacements", "smartquotes"]).use(footnote_plugin))


def start(out: str) -> None:
    _state.update(md=make_markdown(), out=out)


def build_one(path: str) -> tuple[str, str, object, str]:
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    end = text.index("\n---\n", 4)
    meta = yaml.load(text[4:end], Loader=LOADER)  # a safe loader, picked above
    html = _state["md"].render(text[end + 5 :])  # type: ignore[attr-defined]
    slug = os.path.splitext(os.path.basename(path))[0]
    date = meta["date"]
    folder = os.path.join(str(_state["out"]), "posts", date.strftime("%Y"), slug)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "index.html"), "w", encoding="utf-8") as handle:
        handle.write(PAGE.render(title=meta["title"], date=date, content=html))
    return f"/posts/{date.strftime('%Y')}/{slug}/", meta["title"], date, meta.get("description", "")


def find_posts(root: str) -> list[str]:
    found = []
    for folder, _dirs, names in os.walk(root):
        found += [os.path.join(folder, name) for name in names if name.endswith(".md")]
    return sorted(found)


def write_lists(out: str, rows: list[tuple[str, str, object, str]]) -> None:
    with open(os.path.join(out, "index.html"), "w", encoding="utf-8") as handle:
        handle.write(INDEX.render(rows=rows))
    items = "".join(
        f"<item><title>{escape(title)}</title><link>https://example.org{url}</link>"
        f"<guid>https://example.org{url}</guid><pubDate>{date.strftime('%a, %d %b %Y %H:%M:%S %z')}</pubDate>"  # type: ignore[attr-defined]
        f"<description>{escape(str(text))}</description></item>\n"
        for url, title, date, text in reversed(rows[-20:]))
    with open(os.path.join(out, "index.xml"), "w", encoding="utf-8") as handle:
        handle.write('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Bench</title>'
                     f"<link>https://example.org/</link><description>Bench</description>\n{items}</channel></rss>\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("content")
    parser.add_argument("out")
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    paths = find_posts(args.content)
    if args.jobs <= 1:
        start(args.out)
        rows = [build_one(path) for path in paths]
    else:
        with get_context("fork").Pool(args.jobs, initializer=start, initargs=(args.out,)) as pool:
            rows = list(pool.imap_unordered(build_one, paths, chunksize=16))
    rows.sort(key=lambda row: row[2])  # type: ignore[arg-type,return-value]
    write_lists(args.out, rows)
    seconds = time.perf_counter() - started
    print(f"floor: {len(rows)} posts, {len(rows) + 2} files, {seconds:.2f}s, jobs={args.jobs}")


if __name__ == "__main__":
    main()
