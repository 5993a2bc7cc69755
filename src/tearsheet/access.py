"""Access that changes over time: `free_after` and `plus_after` move posts across the wall.

The rules are applied to the source records with the build's "now", before anything is rendered,
so the teaser cut and every page, list, feed and index downstream see the effective tier only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from .content import SourceContent, SourcePost
from .frontmatter import PostMeta


@dataclass(frozen=True, slots=True)
class TierChange:
    """A post that a rule has moved to the other side of the wall."""

    path: str
    title: str
    declared: str  # the tier its front matter (or default_tier) gives
    effective: str  # the tier it is built with
    rule: str  # "free_after" or "plus_after"
    days: int
    since: dt.datetime  # the moment the rule took effect


def rule_switch(meta: PostMeta) -> tuple[str, str, int, dt.datetime] | None:
    """The rule that applies to a post: (rule, tier it moves to, days, moment), or None."""
    if meta.date is None:
        return None
    if meta.tier == "plus" and meta.free_after is not None:
        rule, tier, days = "free_after", "free", meta.free_after
    elif meta.tier == "free" and meta.plus_after is not None:
        rule, tier, days = "plus_after", "plus", meta.plus_after
    else:
        return None
    try:
        return rule, tier, days, meta.date + dt.timedelta(days=days)
    except OverflowError:  # past the calendar's end: the moment never comes, so the post keeps its tier
        return None


def effective_meta(meta: PostMeta, now: dt.datetime) -> tuple[PostMeta, TierChange | None]:
    """The post's front matter with the tier it has at `now`, and the change a rule made, if any."""
    switch = rule_switch(meta)
    if switch is None or now < switch[3]:
        return meta, None
    rule, tier, days, since = switch
    change = TierChange(meta.path, meta.title, meta.tier, tier, rule, days, since)
    return dataclasses.replace(meta, tier=tier), change


def apply_access_rules(source: SourceContent, now: dt.datetime) -> tuple[SourceContent, tuple[TierChange, ...]]:
    """Give every post its tier at `now`; list the posts a rule moved, most recent change first."""
    posts, changes = posts_at(source.posts, now)
    return dataclasses.replace(source, posts=posts), changes


def posts_at(posts: Iterable[SourcePost], now: dt.datetime) -> tuple[tuple[SourcePost, ...],
                                                                     tuple[TierChange, ...]]:
    """Each post with its tier at `now`, and the changes rules made."""
    kept: list[SourcePost] = []
    changes: list[TierChange] = []
    for post in posts:
        meta, change = effective_meta(post.meta, now)
        kept.append(post if change is None else dataclasses.replace(post, meta=meta))
        if change is not None:
            changes.append(change)
    changes.sort(key=lambda c: (c.since, c.path), reverse=True)
    return tuple(kept), tuple(changes)
