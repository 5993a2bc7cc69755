"""Access that changes over time: free_after, plus_after and embargoes, over a sequence of build dates."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
from collections.abc import Callable
from pathlib import Path

import pytest

from tearsheet.access import effective_meta
from tearsheet.cli import main
from tearsheet.config import load_config
from tearsheet.content import parse_source
from tearsheet.errors import SiteError

from .conftest import MINIMAL_TOML, build, read_tree

CONFIG = load_config("site.toml", MINIMAL_TOML)

OPENING_PLUS = """\
---
title: "Opens up later"
date: 2026-10-01T09:00:00+00:00
tier: plus
teaser: 6
free_after: 10
---

Public words about the curve and the dollar.

<!--more-->

## Trade zqcanaryopenheading

The members part: zqcanaryopenpara, with a table.

| Leg | zqcanaryopentable |
|---|---|
| 2s | 10s |
"""

CLOSING_FREE = """\
---
title: "Goes behind the wall"
date: 2026-10-01T09:00:00+00:00
teaser: 6
plus_after: 5
---

Public words that stay in the teaser always.

<!--more-->

Later words zqcanaryclosepara that only members keep once the rule applies.

- zqcanarycloselist
"""


def meta_of(text: str, config=CONFIG):  # type: ignore[no-untyped-def]
    return parse_source("content/posts/x.md", text.encode(), "post", config).meta


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_plus_post_becomes_free_exactly_n_days_after_its_date() -> None:
    meta = meta_of(OPENING_PLUS)
    before, change = effective_meta(meta, at("2026-10-11T08:59:59+00:00"))
    assert before.tier == "plus" and change is None
    after, change = effective_meta(meta, at("2026-10-11T09:00:00+00:00"))
    assert after.tier == "free"
    assert change is not None and (change.declared, change.effective, change.rule, change.days) == (
        "plus", "free", "free_after", 10)


def test_free_post_goes_behind_the_wall_after_n_days() -> None:
    meta = meta_of(CLOSING_FREE)
    assert effective_meta(meta, at("2026-10-06T08:00:00+00:00"))[0].tier == "free"
    assert effective_meta(meta, at("2026-10-06T09:00:00+00:00"))[0].tier == "plus"


def test_site_defaults_apply_to_the_matching_tier_and_never_opts_out() -> None:
    config = load_config("site.toml", "free_after = 30\nplus_after = 7\n")
    plus = meta_of("---\ntitle: P\ndate: 2026-10-01\ntier: plus\n---\nBody.\n", config)
    free = meta_of("---\ntitle: F\ndate: 2026-10-01\n---\nBody.\n", config)
    kept = meta_of("---\ntitle: K\ndate: 2026-10-01\ntier: plus\nfree_after: never\n---\nBody.\n", config)
    assert (plus.free_after, plus.plus_after) == (30, None)
    assert (free.free_after, free.plus_after) == (None, 7)
    assert kept.free_after is None
    assert effective_meta(kept, at("2030-01-01T00:00:00+00:00"))[0].tier == "plus"


@pytest.mark.parametrize(("lines", "message"), [
    ("free_after: 30", 'content/posts/x.md:4: free_after applies to plus posts, and this post is free'),
    ("tier: plus\nfree_after: soon",
     'content/posts/x.md:5: free_after must be a whole number of days (1 or more) or "never", got "soon"'),
    ("plus_after: 0", 'content/posts/x.md:4: plus_after must be a whole number of days (1 or more) or "never", '
     'got "0"'),
    ("free_afer: 3", 'content/posts/x.md:4: unknown front-matter key "free_afer"'),
])
def test_bad_rules_in_front_matter_are_located(lines: str, message: str) -> None:
    with pytest.raises(SiteError) as caught:
        meta_of(f"---\ntitle: T\ndate: 2026-10-01\n{lines}\n---\nBody.\n")
    assert str(caught.value.problems[0]).split("\n")[0] == message


def test_negative_site_default_is_an_error() -> None:
    with pytest.raises(SiteError) as caught:
        load_config("site.toml", 'title = "T"\nplus_after = -1\n')
    assert str(caught.value.problems[0]).startswith("site.toml:2: plus_after must be a whole number of days")


def all_text(tree: dict[str, bytes]) -> dict[str, bytes]:
    """Every file's bytes, gzip-compressed ones (search index files) decompressed."""
    return {path: gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data for path, data in tree.items()}


def holds(tree: dict[str, bytes], word: str) -> bool:
    return any(word.encode() in data for data in tree.values())


# (moment, opening post's side, closing post's side); None: not published yet (embargo)
DAYS = [
    ("2026-09-30T12:00:00+00:00", None, None),
    ("2026-10-01T09:00:00+00:00", "plus", "free"),
    ("2026-10-06T08:59:00+00:00", "plus", "free"),
    ("2026-10-06T09:00:00+00:00", "plus", "plus"),
    ("2026-10-11T08:59:00+00:00", "plus", "plus"),
    ("2026-10-11T09:00:00+00:00", "free", "plus"),
    ("2027-06-01T00:00:00+00:00", "free", "plus"),
]


@pytest.fixture(scope="module")
def timeline(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], tuple[dict[str, bytes], dict[str, bytes]]]:
    from .conftest import write_files

    site = write_files(tmp_path_factory.mktemp("timeline"), {
        "site.toml": MINIMAL_TOML,
        "content/posts/2026/opening.md": OPENING_PLUS,
        "content/posts/2026/closing.md": CLOSING_FREE,
        "content/posts/2026/steady.md": "---\ntitle: Steady\ndate: 2026-09-01\n---\nA free post.\n",
    })

    def build_at(moment: str) -> tuple[dict[str, bytes], dict[str, bytes]]:
        build(site, now=at(moment))
        return all_text(read_tree(site / "output" / "public")), all_text(read_tree(site / "output" / "members"))

    return build_at


@pytest.mark.parametrize(("moment", "opening", "closing"), DAYS)
def test_public_build_holds_no_members_part_on_any_day_a_post_is_plus(
        timeline: Callable[[str], tuple[dict[str, bytes], dict[str, bytes]]],
        moment: str, opening: str | None, closing: str | None) -> None:
    public, members = timeline(moment)
    for side, words in ((opening, ("zqcanaryopenheading", "zqcanaryopenpara", "zqcanaryopentable")),
                        (closing, ("zqcanaryclosepara", "zqcanarycloselist"))):
        for word in words:
            assert holds(public, word) == (side == "free"), (moment, word)
            assert holds(members, word) == (side is not None), (moment, word)


def test_build_reports_the_posts_a_rule_moved(write_site: Callable[..., Path],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    site = write_site({"content/posts/2026/opening.md": OPENING_PLUS,
                       "content/posts/2026/closing.md": CLOSING_FREE})
    assert main(["build", str(site), "--now", "2026-10-12T00:00:00+00:00"]) == 0
    out = capsys.readouterr().out
    assert "2 posts on the other side of the wall by an access rule:" in out
    assert ("content/posts/2026/opening.md: plus -> free since 2026-10-11T09:00+00:00 (free_after: 10 days)"
            in out)
    assert "content/posts/2026/closing.md: free -> plus since 2026-10-06T09:00+00:00 (plus_after: 5 days)" in out
    assert out.index("opening.md") < out.index("closing.md")  # most recent change first
    result = build(site, now=at("2026-10-02T00:00:00+00:00"))
    assert result.tier_changes == ()


def test_a_rule_past_the_end_of_the_calendar_never_applies() -> None:
    text = "---\ntitle: T\ndate: 8999-12-01\ntier: plus\nfree_after: 36500\n---\n\nWords.\n"
    meta = dataclasses.replace(parse_source("content/posts/t.md", text.encode(), "post", CONFIG).meta,
                               free_after=999_999_999)  # was an OverflowError traceback
    later = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
    assert effective_meta(meta, later) == (meta, None)
