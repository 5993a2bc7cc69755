#!/usr/bin/env python3
"""Write a deterministic corpus of synthetic financial essays for the benchmark.

    python3 bench/make_corpus.py DIR --posts 4000 [--seed 7] [--flavor tearsheet|hugo|pelican]

The same posts in every flavor (words, dates, tiers, tags); only the front matter and the folder
layout differ, so generators can be timed on the same work. The posts are those of the shared
corpus generator for the same seed, so the figures compare with the issue's reference runs.

Each post: YAML front matter (title, date, tier free|plus, teaser words, tags, series, authors,
description), then 600-2,400 words of Markdown: headings, paragraphs with emphasis, links and
footnote references, a blockquote epigraph, bullet lists, data tables, figures and footnotes.
About 60% of posts are `plus`; one plus post in five ends its teaser at a `<!--more-->` line.

Each flavor also gets what its generator needs to build it: site.toml (tearsheet), hugo.toml and a
one-page-per-post layout (hugo), pelicanconf.py (pelican).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
from dataclasses import dataclass


def _words(text: str) -> list[str]:
    return text.split()


WORDS = _words(
    "rates yields duration curve steepener flattener inflation disinflation "
    "payrolls claims liquidity positioning gamma vol volatility dispersion "
    "correlation breadth momentum rotation small-caps megacaps earnings "
    "multiples valuation buybacks credit spreads high-yield investment-grade "
    "dollar euro yen carry unwind squeeze short covering systematic CTA "
    "risk-parity vol-control leverage deleveraging hedge funds retail flows "
    "options dealers skew convexity tails recession soft-landing Fed ECB BoJ "
    "cuts hikes balance-sheet QT reserves repo funding Treasurys bills "
    "auctions supply deficit fiscal tariffs consumer prices CPI PCE wages "
    "margins guidance semiconductors AI capex cloud energy crude OPEC gold "
    "copper China stimulus property EM FX sentiment surveys strategists "
    "quants macro narrative regime the of and to in a that is for on with as "
    "it by this be are was at from but not or have more than which its"
)
TAGS = _words(
    "equities rates fx commodities credit macro fed ecb boj china europe japan "
    "emerging-markets volatility positioning quant systematic earnings tech "
    "small-caps energy gold crypto fiscal politics labor inflation housing "
    "banks private-credit options flows buybacks sentiment recession "
    "elections tariffs dollar treasurys oil semis ai"
)
SERIES = [None, None, None, "Weekly", "Cross-Asset Notes", "Quant Corner"]
AUTHORS = ["heisenberg", "guest-strategist", "desk"]
AUTHOR_NAMES = {"heisenberg": "Heisenberg", "guest-strategist": "Guest Strategist", "desk": "The Desk"}
TICKERS = ["SPX", "NDX", "RTY", "TNA", "IWM", "TLT", "HYG", "DXY", "VIX", "QQQ"]
QUOTED = ["Phil Connors", "a rates strategist", "an old trader"]
START = dt.datetime(2015, 1, 2, 7, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
FLAVORS = ("tearsheet", "hugo", "pelican")


@dataclass(frozen=True, slots=True)
class Post:
    slug: str
    title: str
    date: dt.datetime
    tier: str
    teaser: int | None  # None: the teaser ends at a <!--more--> line
    tags: tuple[str, ...]
    series: str | None
    authors: tuple[str, ...]
    description: str
    body: str


def sentence(rng: random.Random, lo: int = 8, hi: int = 26) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(lo, hi))]
    if rng.random() < 0.35:
        i = rng.randrange(len(words))
        words[i] = f"*{words[i]}*"
    if rng.random() < 0.25:
        i = rng.randrange(len(words))
        words[i] = f"[{words[i]}](https://example.com/{rng.randint(1, 9999)})"
    if rng.random() < 0.2:
        words.insert(rng.randrange(len(words)), f"${rng.choice(TICKERS)}")
    if rng.random() < 0.15:
        words.insert(rng.randrange(len(words)), f"{rng.randint(10, 1500):,}bps")
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice(".....?!")


def paragraph(rng: random.Random, notes: list[int]) -> str:
    text = " ".join(sentence(rng) for _ in range(rng.randint(2, 6)))
    if rng.random() < 0.15:
        notes.append(len(notes) + 1)
        text += f"[^{len(notes)}]"
    return text


def table(rng: random.Random) -> str:
    rows = ["| Asset | 1w | 1m | YTD |", "|---|---:|---:|---:|"]
    for ticker in rng.sample(TICKERS, 4):
        cells = " | ".join(f"{rng.uniform(-12, 12):+.1f}%" for _ in range(3))
        rows.append(f"| {ticker} | {cells} |")
    return "\n".join(rows)


def block(rng: random.Random, blocks: list[str], notes: list[int]) -> str:
    roll = rng.random()
    if roll < 0.08 and blocks:
        return f"## {sentence(rng, 3, 7).rstrip('.?!')}"
    if roll < 0.13:
        return "\n".join(f"- {sentence(rng, 4, 12)}" for _ in range(rng.randint(2, 5)))
    if roll < 0.16:
        return table(rng)
    if roll < 0.19:
        number = rng.randint(1, 20)
        return f"![Chart {number}: {sentence(rng, 3, 8)}](/images/chart-{number:02d}.png)"
    if roll < 0.22:
        return f"> {sentence(rng)}"
    return paragraph(rng, notes)


def body(rng: random.Random, target_words: int, more_at: int | None) -> str:
    blocks: list[str] = []
    notes: list[int] = []
    if rng.random() < 0.3:
        blocks.append(f"> {sentence(rng)}\n>\n> — {rng.choice(QUOTED)}")
    words = 0
    while words < target_words:
        blocks.append(block(rng, blocks, notes))
        words += len(blocks[-1].split())
        if more_at is not None and len(blocks) == more_at:
            blocks.append("<!--more-->")
    blocks += [f"[^{n}]: {sentence(rng, 5, 15)}" for n in notes]
    return "\n\n".join(blocks) + "\n"


def make_post(rng: random.Random, index: int) -> Post:
    tier = "plus" if rng.random() < 0.6 else "free"
    marker = tier == "plus" and rng.random() < 0.2
    title = sentence(rng, 4, 10).rstrip(".?!").replace('"', "'")
    title = title.replace("*", "").split("](")[0].replace("[", "")
    date = START + dt.timedelta(hours=index * 9 + rng.randint(0, 8), minutes=rng.randint(0, 59))
    teaser = None if marker else rng.choice([60, 90, 120, 150])
    tags = tuple(sorted(rng.sample(TAGS, rng.randint(1, 4))))
    series = rng.choice(SERIES)
    authors = (rng.choice(AUTHORS),)
    description = sentence(rng, 10, 20).replace('"', "'")
    text = body(rng, rng.randint(600, 2400), rng.randint(2, 4) if marker else None)
    return Post(f"post-{index:05d}", title, date, tier, teaser, tags, series, authors, description, text)


def posts(count: int, seed: int):  # type: ignore[no-untyped-def]
    """The corpus, post by post: the same seed gives the same posts in the same order."""
    rng = random.Random(seed)
    for index in range(count):
        yield make_post(rng, index)


def yaml_front(post: Post) -> str:
    lines = ["---", f'title: "{post.title}"', f"date: {post.date.isoformat()}", f"tier: {post.tier}"]
    if post.teaser is not None:
        lines.append(f"teaser: {post.teaser}")
    lines.append(f"tags: [{', '.join(post.tags)}]")
    if post.series:
        lines.append(f'series: "{post.series}"')
    lines += [f"authors: [{', '.join(post.authors)}]", f'description: "{post.description}"', "---"]
    return "\n".join(lines) + "\n\n"


def pelican_front(post: Post) -> str:
    lines = [f"Title: {post.title}", f"Date: {post.date.strftime('%Y-%m-%d %H:%M')}", f"Slug: {post.slug}",
             f"Tags: {', '.join(post.tags)}", f"Authors: {', '.join(post.authors)}",
             f"Summary: {post.description}", f"Tier: {post.tier}"]
    return "\n".join(lines) + "\n\n"


def post_file(out: str, post: Post, flavor: str) -> tuple[str, str]:
    year = post.date.strftime("%Y")
    if flavor == "pelican":
        return os.path.join(out, "content", year, post.slug + ".md"), pelican_front(post) + post.body
    return os.path.join(out, "content", "posts", year, post.slug + ".md"), yaml_front(post) + post.body


SITE_TOML = """\
title = "Bench Letter"
description = "A synthetic corpus of financial essays for the tearsheet benchmark."
base_url = "https://bench.example.com"
timezone = "America/New_York"
teaser_words = 150
""" + "".join(f'\n[authors.{key}]\nname = "{name}"\n' for key, name in AUTHOR_NAMES.items())

HUGO_TOML = """\
baseURL = "https://bench.example.com/"
title = "Bench Letter"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
[markup.goldmark.renderer]
unsafe = true
"""
HUGO_SINGLE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }} | Bench Letter</title></head>
<body><article><h1>{{ .Title }}</h1>
<p><time>{{ .Date.Format "2006-01-02" }}</time></p>
{{ .Content }}
</article></body></html>
"""
HUGO_LIST = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bench Letter</title></head>
<body><ul>{{ range .Site.RegularPages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>
{{ end }}</ul></body></html>
"""
PELICAN_CONF = """\
AUTHOR = "Bench"
SITENAME = "Bench Letter"
SITEURL = ""
PATH = "content"
TIMEZONE = "America/New_York"
DEFAULT_LANG = "en"
THEME = "simple"
DEFAULT_PAGINATION = False
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
DIRECT_TEMPLATES = ["index"]
TAG_SAVE_AS = CATEGORY_SAVE_AS = AUTHOR_SAVE_AS = ""
ARTICLE_URL = ARTICLE_SAVE_AS = "posts/{date:%Y}/{slug}/index.html"
"""


def site_files(out: str, flavor: str) -> dict[str, str]:
    """The configuration each generator needs to build the corpus."""
    if flavor == "tearsheet":
        return {os.path.join(out, "site.toml"): SITE_TOML}
    if flavor == "hugo":
        layouts = os.path.join(out, "layouts", "_default")
        return {os.path.join(out, "hugo.toml"): HUGO_TOML, os.path.join(layouts, "single.html"): HUGO_SINGLE,
                os.path.join(layouts, "list.html"): HUGO_LIST, os.path.join(out, "layouts", "index.html"): HUGO_LIST}
    return {os.path.join(out, "pelicanconf.py"): PELICAN_CONF}


def write_corpus(out: str, count: int, seed: int = 7, flavor: str = "tearsheet") -> int:
    """Write the corpus and its generator's configuration under `out`; return the number of words."""
    for path, text in site_files(out, flavor).items():
        _write(path, text)
    words = 0
    for post in posts(count, seed):
        _write(*post_file(out, post, flavor))
        words += len(post.body.split())
    return words


def _write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="the folder to write (content/ and a site configuration go in it)")
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--flavor", choices=FLAVORS, default="tearsheet")
    args = parser.parse_args()
    words = write_corpus(args.out, args.posts, args.seed, args.flavor)
    print(f"{args.posts} posts, {words:,} words -> {args.out}/content")


if __name__ == "__main__":
    main()
