"""The preview's fast render: a post whose body alone changed is on screen, site-wide, before the full rebuild.

An author editing a post looks at that post. When the only files that changed are published posts or
content pages whose front matter (and so their tier, URL, place in lists and feeds) is as the last
good build had it, their pages are rendered again at once, with the last build's site around them,
and swapped into the live preview (like Hugo's fast render mode). For a post that is every page and
feed the edit changes, found in an index of the last build (index_site): its own pages; the feeds it
is in; the pages that read its body; and when its card changed (the summary, the reading time), the
pages that read that (lists; not the archive, which shows titles). A content page's edit renders its
own page (every page's menu reads the pages; the full rebuild renders them). The full rebuild always
follows: it makes the search index, runs the paywall audit, and makes anything the index did not
foresee.

Anything else (a new, removed or renamed file, front matter, templates, static files, site.toml, a
file that does not parse) is left to the full rebuild, which reports problems as a build does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .access import effective_meta
from .build import SitePlan
from .cache import PageEntry
from .content import parse_source, relative_path
from .errors import SiteError
from .feeds import FeedWriter, feed_sources
from .markdown import make_markdown
from .output import patch_live
from .pagekeys import CARD_FIELDS, SITE_MADE, Read
from .render import RenderedPost, render_post
from .site import (
    TIERS,
    Month,
    PageView,
    PostView,
    Site,
    Term,
    Year,
    assets_for,
    linked_files,
    page_url,
    page_view,
    post_url,
    post_view,
)
from .templates import (
    Pager,
    PageSpec,
    content_page_spec,
    page_globals,
    page_specs,
    post_page_spec,
    render_page,
)


@dataclass(frozen=True, slots=True)
class FastRender:
    posts: tuple[str, ...]  # the posts and pages rendered again (source paths)
    changed: tuple[str, ...]  # "tier/path" of the files that changed in the live trees


def fast_render(plan: SitePlan, site_dir: str, out_dir: str, book_dir: str, changed: Iterable[str],
                now: dt.datetime, index: dict[str, TierIndex] | None = None,
                feed_bodies: Callable[[str], dict[tuple[str, ...], str]] | None = None) -> FastRender | None:
    """Render again the pages of posts and content pages whose body alone changed; None if a full rebuild must.

    Given the index of the last build's pages (index_site), an edited post's lists and feeds are made too;
    `feed_bodies` (BuildCache.feed_bodies) keeps the bodies of the feeds' items from one render to the next."""
    if plan.env is None or not plan.sites:
        return None
    published = {item.meta.path: item for item in (*plan.posts, *plan.pages)}
    edited: list[RenderedPost] = []
    md = None
    for path in sorted(changed):
        rel = relative_path(path, site_dir)
        before = published.get(rel)
        if before is None and (os.path.isdir(path) or not os.path.lexists(path)):
            if _built_from(plan, rel, path):
                return None  # a template, a static file, a file under content/ deleted: the full rebuild's
            continue  # a folder, or an editor's temporary file that came and went with the save
        if before is None or os.path.islink(path):
            return None
        kind = before.meta.kind
        try:
            with open(path, "rb") as handle:
                source = parse_source(rel, handle.read(), kind, plan.config)
        except (OSError, SiteError):
            return None  # the full rebuild says what is wrong
        meta = effective_meta(source.meta, now)[0] if kind == "post" else source.meta
        if meta != before.meta:
            return None
        md = md or make_markdown(plan.config.raw_html)
        try:
            post = render_post(md, dataclasses.replace(source, meta=meta))
        except SiteError:
            return None
        if (meta.tier == "plus" and not post.cut) or post.open_fence or post.stray_more:
            return None  # its teaser would be all of it, a code block runs to its end, or a `<!--more-->` does
            # not cut: the full rebuild says so
        edited.append(post)
    if not edited or _public_files_change(plan, published, edited):
        return None
    try:
        pages = _render_pages(plan, site_dir, edited, index, feed_bodies or (lambda tier: {}))
    except SiteError:
        return None  # a template that fails on the new text: the full rebuild reports it
    if pages is None:
        return None
    return FastRender(tuple(item.meta.path for item in edited), patch_live(out_dir, book_dir, pages))


def _built_from(plan: SitePlan, rel: str, path: str) -> bool:
    """Whether a path the build reads is gone: anything outside content/, or a file of it the site copies."""
    if not rel.startswith("content/"):
        return True
    absolute = os.path.abspath(path)
    return any(asset.source == absolute for asset in plan.source.assets)


def _public_files_change(plan: SitePlan, published: dict[str, RenderedPost], edited: list[RenderedPost]) -> bool:
    """Whether the files under content/ that the public site has would change (site.assets_for: those public
    text links to): then the full rebuild copies or leaves them out."""
    if not plan.source.assets:
        return False
    if all(_files_linked(plan, item) == _files_linked(plan, published[item.meta.path]) for item in edited):
        return False  # (the common case: the edit links to the same files as before)
    public = plan.sites["public"]
    now = {item.meta.path: item for item in edited}
    posts = [now.get(post.meta.path, post) for post in plan.posts]
    pages = [page_view(public.config, now.get(page.meta.path, page)) for page in plan.pages]
    return assets_for("public", plan.source.assets, posts, pages, public.config) != public.assets


def _files_linked(plan: SitePlan, post: RenderedPost) -> frozenset[str]:
    """The files under content/ that a post's public edition (or its `image:`) links to."""
    url = post_url(plan.config, post.meta) if post.meta.kind == "post" else page_url(plan.config, post.meta)
    return frozenset(linked_files(plan.config, [(url, (*post.public.links, post.meta.image))], plan.source.assets))


def _render_pages(plan: SitePlan, site_dir: str, edited: list[RenderedPost], index: dict[str, TierIndex] | None,
                  feed_bodies: Callable[[str], dict[tuple[str, ...], str]]) -> dict[str, dict[str, bytes]] | None:
    """{tier: {output path: bytes}} of the edited posts' and pages' own pages, and (given the index) of every
    page and feed that shows an edited post; None when that is more than MAX_FAST_PAGES pages."""
    assert plan.env is not None
    swaps = {tier: _Swap(plan.sites[tier], edited) for tier in TIERS}
    sites = {tier: swap.site for tier, swap in swaps.items()}
    cards = any(swap.cards_changed for swap in swaps.values())  # the public summary shows in members pages too
    pages: dict[str, dict[str, bytes]] = {tier: {} for tier in TIERS}
    for tier, site in sites.items():
        globals_ = page_globals(site, plan.asset_urls, sites["public"])
        specs = _specs_to_render(site, swaps[tier], edited, index[tier] if index else None, cards)
        if specs is None:
            return None
        for spec in specs:
            pages[tier][spec.path] = render_page(plan.env, spec, globals_, site_dir)
        if index is not None and any(item.meta.kind == "post" for item in edited):
            writer = FeedWriter(site)
            for feed in feed_sources(site, sites["public"], set(swaps[tier].urls), feed_bodies(tier)):
                pages[tier][feed.path] = writer.bytes(feed)
    return pages


def _specs_to_render(site: Site, swap: _Swap, edited: list[RenderedPost], index: TierIndex | None,
                     cards: bool) -> list[PageSpec] | None:
    """The edited posts' and pages' own pages; with the index, every other page that reads an edited post's
    body, or its card when that changed (a list, a neighbour that shows its summary). None when that is
    more than MAX_FAST_PAGES: the full rebuild makes them, and nothing is shown half made."""
    numbers = {view.url: number for number, view in enumerate(site.posts)}
    views = {view.url: view for view in site.pages}
    own: list[PageSpec] = []
    for item in edited:
        if item.meta.kind == "post":
            own.append(post_page_spec(site, numbers[post_url(site.config, item.meta)]))
        else:  # a content page: its own page (every page's menu reads site.pages; the full rebuild renders them)
            own.append(content_page_spec(site, views[page_url(site.config, item.meta)]))
    if index is None:
        return own
    paths = index.showing_any(swap.urls, cards) - {spec.path for spec in own}
    if len(paths) > MAX_FAST_PAGES:
        return None
    return [*own, *(PageSpec(path, index.specs[path].template, swap(index.specs[path].context))
                    for path in sorted(paths))]


MAX_FAST_PAGES = 200  # pages besides its own an edit may render at once (a list shows a post once or twice)


@dataclass(frozen=True, slots=True)
class TierIndex:
    """What the last good build's pages of one tier read of each post, for the fast render of a body edit."""

    specs: dict[str, PageSpec]  # every page, by output path
    reading: dict[Read, frozenset[str]]  # ("body" or "card", post URL) -> the pages that read it (pagekeys)

    def showing_any(self, urls: Iterable[str], cards: bool) -> set[str]:
        """The pages that read the body of any of these posts, and when their cards changed (`cards`: the
        summary, the reading time), the pages that read their cards (lists, the page of a neighbour that
        shows its summary); not the archive, which lists posts by title."""
        paths: set[str] = set()
        for url in urls:
            for kind in ("body", "card") if cards else ("body",):
                paths |= self.reading.get((kind, url), frozenset())
        return paths


def index_site(site: Site, entries: Mapping[str, PageEntry]) -> TierIndex | None:
    """The index of one tier's pages, from its Site and the page keys' record of what each page read
    (see pagekeys); None when the record does not cover every page (keys were off, or the build kept
    the output as it was)."""
    specs = {spec.path: spec for spec in page_specs(site)}
    if not specs.keys() <= entries.keys():
        return None
    reading: dict[Read, set[str]] = {}
    for path in specs:
        for read in entries[path][1]:
            if read[0] in POST_READS:
                reading.setdefault(tuple(read), set()).add(path)
    return TierIndex(specs, {read: frozenset(paths) for read, paths in reading.items()})


POST_READS = ("body", "card")  # what a page reads of one post that a body edit may change


class _Swap:
    """One tier's records of the last good build with the edited posts' and pages' new views in place of
    the old ones, wherever they are (the Site's lists, tags, archive; a page's context). Each record is
    made again once and shared as before."""

    def __init__(self, site: Site, edited: list[RenderedPost]) -> None:
        old_posts = {view.url: view for view in site.posts}
        self.posts: dict[str, PostView] = {}
        for item in edited:
            if item.meta.kind == "post":
                view = post_view(site.tier, site.config, item)
                self.posts[view.url] = _keeping_site_made(view, old_posts[view.url])
        self.pages = {view.url: view for view in (page_view(site.config, p) for p in edited if p.meta.kind == "page")}
        self.urls = tuple(self.posts)
        self.cards_changed = any(_card(view) != _card(old_posts[url]) for url, view in self.posts.items())
        self.memo: dict[int, tuple[object, object]] = {}
        self.site: Site = self(site)

    def __call__(self, value: Any) -> Any:
        kind = type(value)
        if kind is PostView:
            return self.posts.get(value.url, value)
        if kind is PageView:
            return self.pages.get(value.url, value)
        if kind is tuple:
            if value and type(value[0]) is PostView:  # a list of posts: only the edited ones change
                if not any(post.url in self.posts for post in value):
                    return value
                return tuple(self.posts.get(post.url, post) for post in value)
            items = tuple(map(self, value))
            return value if all(new is old for new, old in zip(items, value, strict=True)) else items
        if kind is dict:
            swapped = {key: self(item) for key, item in value.items()}
            return value if all(swapped[key] is item for key, item in value.items()) else swapped
        if kind in SWAPPED_RECORDS:
            found = self.memo.get(id(value))
            if found is None:
                changes = {name: new for name in _field_names(kind)
                           if (new := self(getattr(value, name))) is not getattr(value, name)}
                found = self.memo[id(value)] = (value, dataclasses.replace(value, **changes) if changes else value)
            return found[1]
        return value


SWAPPED_RECORDS = (Site, Term, Pager, Year, Month)


def _card(view: PostView) -> tuple[object, ...]:
    """What lists show of a post besides its front matter (a card, as page keys count it)."""
    return tuple(getattr(view, name) for name in CARD_FIELDS)


def _field_names(kind: type) -> tuple[str, ...]:
    if kind not in _FIELDS:
        _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(kind))
    return _FIELDS[kind]


_FIELDS: dict[type, tuple[str, ...]] = {}


def _keeping_site_made(new: PostView, old: PostView) -> PostView:
    """An edited post's view with what the rest of the site makes of its front matter, which an edit of its
    body does not move: its place in its series, its tags', series' and authors' links as the site first
    spelt them (post_view alone spells them as this post does)."""
    return dataclasses.replace(new, series_part=old.series_part, **{name: getattr(old, name) for name in SITE_MADE})
