"""The pipeline, one call per stage: load -> render -> split tiers -> assemble -> write."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import jinja2

from .access import TierChange, apply_access_rules
from .audit import audit_step
from .config import SiteConfig
from .content import SourceContent, read_config, read_content, read_static
from .deploy import headers_file
from .errors import Problem, SiteError
from .feeds import feed_files
from .markdown import make_markdown
from .metadata import search_engine_files
from .output import CopyFile, FileData, add_files, write_site
from .render import RenderedPost, render_post
from .search import index_staged, search_setup
from .site import TIERS, Site, assemble_site, check_urls, select_posts
from .templates import THEME_DIR, check_templates, make_environment, render_pages

FINGERPRINTED = (".css", ".js")


@dataclass(frozen=True, slots=True)
class BuildOptions:
    site_dir: str = "."
    out_dir: str | None = None
    drafts: bool = False
    future: bool = False
    base_url: str | None = None
    now: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class BuildResult:
    out_dir: str
    posts: int
    plus_posts: int
    pages: int
    files: dict[str, int]  # files written per tier
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    tier_changes: tuple[TierChange, ...] = ()  # built posts an access rule moved across the wall
    warnings: tuple[str, ...] = ()  # things the author should know that did not stop the build


def build_now(options: BuildOptions) -> dt.datetime:
    """The build's idea of now: --now, else SOURCE_DATE_EPOCH, else the clock."""
    if options.now is not None:
        return options.now
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class SitePlan:
    """Everything a build would write, held in memory: `build` writes it, `check` inspects it."""

    config: SiteConfig  # as built: --base-url applied, search off when Pagefind is missing
    source: SourceContent  # every source file read, posts with the tiers access rules gave them
    posts: tuple[RenderedPost, ...]  # the posts this build publishes, with the tiers access rules gave them
    pages: tuple[RenderedPost, ...]
    sites: dict[str, Site]
    trees: dict[str, dict[str, FileData]]
    tier_changes: tuple[TierChange, ...]
    pagefind: str | None  # the binary that will index the staged trees, if search is on
    warnings: tuple[str, ...]


def build_site(options: BuildOptions) -> BuildResult:
    """Build both tiers into a staging folder and swap them into the output folder."""
    clock = _Stopwatch()
    plan = plan_site(options, clock)
    out_dir = os.path.abspath(options.out_dir or os.path.join(options.site_dir, "output"))
    search = index_staged(plan.pagefind, TIERS) if plan.pagefind else None
    audit = audit_step(plan.config, plan.posts, plan.pages, clock.laps)  # after search: it reads the index too
    write_site(out_dir, plan.trees, before_swap=_in_order(search, audit))
    clock.lap("write")
    posts = plan.posts
    return BuildResult(out_dir, len(posts), sum(p.meta.tier == "plus" for p in posts), len(plan.pages),
                       {tier: len(files) for tier, files in plan.trees.items()}, clock.total, clock.laps,
                       plan.tier_changes, plan.warnings)


def plan_site(options: BuildOptions, clock: _Stopwatch | None = None) -> SitePlan:
    """Every stage but writing: load, apply access rules, render, select, assemble each tier's files."""
    clock = clock or _Stopwatch()
    site_dir = os.path.abspath(options.site_dir)
    config, pagefind, warnings = search_setup(_config(site_dir, options))
    env = make_environment(site_dir)
    source = load_sources(site_dir, config, env)
    now = build_now(options)
    source, changes = apply_access_rules(source, now)
    clock.lap("load")
    posts, pages = render_all(config, source)
    clock.lap("render")
    posts = select_posts(posts, now, options.drafts, options.future)
    check_urls(config, [p.meta for p in posts], [p.meta for p in pages])
    static = _fingerprinted(read_static([os.path.join(THEME_DIR, "static"), os.path.join(site_dir, "static")]))
    trees: dict[str, dict[str, FileData]] = {}
    sites: dict[str, Site] = {}
    for tier in TIERS:  # "public" first: the members build borrows its teasers for feeds and descriptions
        sites[tier] = assemble_site(tier, config, posts, pages, source.assets)
        trees[tier] = tier_files(env, sites[tier], site_dir, static, public=sites["public"])
    clock.lap("assemble")
    built = {p.meta.path for p in posts}
    return SitePlan(config, source, tuple(posts), tuple(pages), sites, trees,
                    tuple(c for c in changes if c.path in built), pagefind, warnings)


def _in_order(*steps: Callable[[str], None] | None) -> Callable[[str], None]:
    """One before-swap callback running each step on the staged trees in turn: search index, then audit."""

    def run(staging_dir: str) -> None:
        for step in steps:
            if step is not None:
                step(staging_dir)

    return run


def load_sources(site_dir: str, config: SiteConfig, env: jinja2.Environment) -> SourceContent:
    """Read content and compile templates, reporting the problems of both in one error."""
    problems: list[Problem] = []
    try:
        source = read_content(site_dir, config)
    except SiteError as exc:
        problems.extend(exc.problems)
    try:
        check_templates(env, site_dir)
    except SiteError as exc:
        problems.extend(exc.problems)
    if problems:
        raise SiteError(problems)
    return source


def _config(site_dir: str, options: BuildOptions) -> SiteConfig:
    config = read_config(site_dir)
    if options.base_url:
        if "://" not in options.base_url:
            raise SiteError.one("--base-url", None, f'"{options.base_url}" is not an absolute URL',
                                "for example: --base-url https://preview.example.com")
        config = dataclasses.replace(config, base_url=options.base_url)
    return config


def render_all(config: SiteConfig, source: SourceContent) -> tuple[list[RenderedPost], list[RenderedPost]]:
    """Parse every post and page once; each yields its full body and its public body."""
    md = make_markdown(config.raw_html)
    return [render_post(md, p) for p in source.posts], [render_post(md, p) for p in source.pages]


def tier_files(env, site: Site, site_dir: str, static: dict[str, tuple[str, bytes]],  # type: ignore[no-untyped-def]
               public: Site | None = None) -> dict[str, FileData]:
    """Every file of one tier: pages, feeds, robots/sitemap, static theme files and content assets.

    `public` is the public Site (the site itself in the public tier): feeds and page descriptions of plus
    posts come from its teasers, never from full text.
    """
    public = public or site
    assert public.tier == "public", "teasers come from the public Site only"
    files: dict[str, FileData] = {}
    asset_urls = {name: f"{_root(site)}/assets/{hashed}" for name, (hashed, _) in static.items()}
    add_files(files, render_pages(env, site, site_dir, asset_urls, public), "a page")
    add_files(files, feed_files(site, public), "a feed")
    add_files(files, search_engine_files(site), "robots.txt or sitemap.xml")
    add_files(files, {f"assets/{hashed}": data for hashed, data in static.values()}, "a theme file")
    add_files(files, headers_file(site, static), "the _headers file")
    add_files(files, {a.url.lstrip("/"): CopyFile(a.source) for a in site.assets}, "a file under content/")
    return files


def _root(site: Site) -> str:
    from .site import base_path

    return base_path(site.config)


def _fingerprinted(static: dict[str, bytes]) -> dict[str, tuple[str, bytes]]:
    """Give CSS and JS files a content hash in their names, so they can be cached for ever."""
    named = {}
    for name, data in static.items():
        stem, ext = os.path.splitext(name)
        digest = hashlib.sha256(data).hexdigest()[:10]
        named[name] = (f"{stem}.{digest}{ext}" if ext in FINGERPRINTED else name, data)
    return named


class _Stopwatch:
    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self.last
        self.last = now

    @property
    def total(self) -> float:
        return time.perf_counter() - self.start
