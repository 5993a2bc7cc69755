"""The preview's fast render: a post whose body alone changed is on screen before the full rebuild.

An author editing a post looks at that post. When the only files that changed are published posts or
content pages whose front matter (and so their tier, URL, place in lists and feeds) is as the last
good build had it, their own pages are rendered again at once, with the last build's site around them,
and swapped into the live preview (like Hugo's fast render mode). The full rebuild always follows, and makes everything
else the edit touches: lists showing the post's summary, feeds, the search index, the audit.

Anything else (a new, removed or renamed file, front matter, templates, static files, site.toml, a
file that does not parse) is left to the full rebuild, which reports problems as a build does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass

from .access import effective_meta
from .build import SitePlan
from .content import parse_source, relative_path
from .errors import SiteError
from .markdown import make_markdown
from .output import patch_live
from .render import RenderedPost, render_post
from .site import TIERS, PostView, Site, page_url, page_view, post_url, post_view
from .templates import content_page_spec, page_globals, post_page_spec, render_page


@dataclass(frozen=True, slots=True)
class FastRender:
    posts: tuple[str, ...]  # the posts and pages rendered again (source paths)
    changed: tuple[str, ...]  # "tier/path" of the files that changed in the live trees


def fast_render(plan: SitePlan, site_dir: str, out_dir: str, book_dir: str, changed: Iterable[str],
                now: dt.datetime) -> FastRender | None:
    """Render again the pages of posts and content pages whose body alone changed; None if a full rebuild must."""
    if plan.env is None or not plan.sites:
        return None
    published = {item.meta.path: item for item in (*plan.posts, *plan.pages)}
    edited: list[RenderedPost] = []
    md = None
    for path in sorted(changed):
        rel = relative_path(path, site_dir)
        before = published.get(rel)
        if before is None and (os.path.isdir(path) or not os.path.lexists(path)):
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
    if not edited:
        return None
    try:
        pages = _render_pages(plan, site_dir, edited)
    except SiteError:
        return None  # a template that fails on the new text: the full rebuild reports it
    return FastRender(tuple(item.meta.path for item in edited), patch_live(out_dir, book_dir, pages))


def _render_pages(plan: SitePlan, site_dir: str, edited: list[RenderedPost]) -> dict[str, dict[str, bytes]]:
    """{tier: {output path: bytes}} of the edited posts' and pages' own pages."""
    assert plan.env is not None
    sites = {tier: _with_edits(plan.sites[tier], edited) for tier in TIERS}
    pages: dict[str, dict[str, bytes]] = {tier: {} for tier in TIERS}
    for tier, site in sites.items():
        globals_ = page_globals(site, plan.asset_urls, sites["public"])
        numbers = {view.url: number for number, view in enumerate(site.posts)}
        views = {view.url: view for view in site.pages}
        for item in edited:
            if item.meta.kind == "post":
                spec = post_page_spec(site, numbers[post_url(site.config, item.meta)])
            else:
                spec = content_page_spec(site, views[page_url(site.config, item.meta)])
            pages[tier][spec.path] = render_page(plan.env, spec, globals_, site_dir)
    return pages


def _keeping_series(new: PostView, old: PostView) -> PostView:
    """An edited post's view with its place in its series, which an edit of its body does not move."""
    return dataclasses.replace(new, series_part=old.series_part, series_prev=old.series_prev,
                               series_next=old.series_next)


def _with_edits(site: Site, edited: list[RenderedPost]) -> Site:
    """The site with the edited posts' and pages' views in place of its own (lists and terms keep the old)."""
    posts = {view.url: view for view in (post_view(site.tier, site.config, p) for p in edited if p.meta.kind == "post")}
    pages = {view.url: view for view in (page_view(site.config, p) for p in edited if p.meta.kind == "page")}
    return dataclasses.replace(site, posts=tuple(_keeping_series(posts[view.url], view) if view.url in posts else view
                                                 for view in site.posts),
                               pages=tuple(pages.get(view.url, view) for view in site.pages))
