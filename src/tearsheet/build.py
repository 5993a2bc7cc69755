"""The pipeline, one call per stage: load -> render -> split tiers -> assemble -> write."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import jinja2

from .access import TierChange, apply_access_rules
from .audit_fork import FEW_PAGES, AuditAhead, audits_ahead
from .cache import BuildCache, code_version, inputs_key, key_of
from .config import SiteConfig, site_toml_line, source_date_epoch
from .content import Asset, SourceContent, SourcePost, parse_source, read_config, read_content, read_static
from .deploy import headers_file, host_files, redirects_file
from .errors import Problem, SiteError
from .feeds import FeedFile, FeedWriter, feed_files, feed_sources
from .frontmatter import PostMeta
from .metadata import redirect_pages, search_engine_files
from .output import CopyFile, FileData, KeepFile, Stage, StagedFile, add_files, stage_file
from .parallel import BodyRenderer, can_fork, default_jobs, site_pages
from .render import RenderedPost
from .search import index_staged, search_setup
from .site import (
    TIERS,
    Site,
    assemble_site,
    check_terms,
    check_urls,
    check_withheld,
    select_posts,
    unlinked_assets,
)
from .templates import THEME_DIR, check_templates, files_named, make_environment, render_pages

if TYPE_CHECKING:
    from .member_shingles import MembersAhead

UNLINKED_NAMED = 5  # files a warning names before "and N more"
FINGERPRINTED = (".css", ".js")
SVG_CARD = ("which link previews on social networks and in messengers do not show: use a PNG or JPEG "
            "(1200 x 630 suits most)")


@dataclass(frozen=True, slots=True)
class BuildOptions:
    site_dir: str = "."
    out_dir: str | None = None
    drafts: bool = False
    future: bool = False
    base_url: str | None = None
    members_url: str | None = None  # in place of site.toml's ("" for none: a preview serves both tiers itself)
    now: dt.datetime | None = None
    jobs: int | None = None  # processes to render with; None: every core
    cache: bool = True  # use and keep SITE/.tearsheet-cache/ (and rewrite only changed output files)
    progress: Callable[[str, int, int], None] | None = None  # told (stage, done, total) as bodies and pages render
    keep_plan: bool = False  # return the SitePlan in the result, planned in full even when nothing changed


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
    rendered: int = 0  # pages rendered (the rest were unchanged and kept)
    written: int = 0  # files written or removed in the output
    changed: tuple[str, ...] = ()  # "tier/path" of each of them
    plan: SitePlan | None = None  # with BuildOptions.keep_plan: what was built, for the preview's fast render
    left_out: tuple[PostMeta, ...] = ()  # drafts and posts dated after now, not built (see --drafts, --future)


def left_out_note(left_out: Sequence[PostMeta]) -> str:
    """Which posts a build left out and why ("" for none): a writer looking for a new post should not guess."""
    drafts = [meta for meta in left_out if meta.draft]
    scheduled = sorted((meta for meta in left_out if not meta.draft and meta.date is not None),
                       key=lambda meta: meta.date)  # type: ignore[arg-type,return-value]
    parts = []
    if drafts:
        parts.append(f"{count_of(len(drafts), 'draft')} (draft: true; --drafts builds them)")
    if scheduled:
        first = scheduled[0]
        assert first.date is not None
        parts.append(f"{count_of(len(scheduled), 'post')} dated after now, the next {first.path} on "
                     f"{first.date.isoformat(timespec='minutes')} (--future builds them)")
    return "Not built: " + "; ".join(parts) if parts else ""


def count_of(number: int, noun: str) -> str:
    """A count and its noun: 1 post, 2 posts."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def build_now(options: BuildOptions) -> dt.datetime:
    """The build's idea of now: --now, else SOURCE_DATE_EPOCH, else the clock.

    A SOURCE_DATE_EPOCH that is not whole seconds is an error even with --now: feeds read it too.
    """
    epoch = source_date_epoch()
    if options.now is not None:
        return options.now
    return epoch or dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class PublicTree:
    """The public site's files, whole, while the members site is still to be made (see plan_site)."""

    config: SiteConfig  # as built
    files: dict[str, FileData]
    posts: tuple[RenderedPost, ...]  # published
    pages: tuple[RenderedPost, ...]
    rendered: int  # pages rendered rather than kept from the live output


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
    published: tuple[PostMeta, ...] = ()  # the front matter of `posts` (also when nothing was rendered)
    rendered: int = 0  # pages rendered rather than kept from the live output
    inputs: str = ""  # a digest of everything the build read, when it keeps a cache
    unchanged: bool = False  # the output already holds what these inputs make: nothing rendered, nothing to write
    env: jinja2.Environment | None = None  # the templates the pages were rendered with
    asset_urls: dict[str, str] = field(default_factory=dict)  # {theme file: its fingerprinted URL}
    left_out: tuple[PostMeta, ...] = ()  # drafts and posts dated after now, not built
    link_warnings: tuple[str, ...] = ()  # links and images of bodies that lead nowhere (`check` says more)


def build_site(options: BuildOptions, cache: BuildCache | None = None) -> BuildResult:
    """Build both tiers into a staging folder and swap them into the output folder.

    With the cache, unchanged bodies are not parsed again, unchanged pages neither rendered nor
    written, and an output that would not change is not touched. A caller that builds again and
    again (the preview server) may pass the cache it keeps in memory (see BuildCache.next_build).
    """
    clock = _Stopwatch()
    out_dir = os.path.abspath(options.out_dir or os.path.join(options.site_dir, "output"))
    if not options.cache:
        cache = None
    elif cache is None:
        cache = BuildCache(options.site_dir, one_build=True)
    try:
        jobs = options.jobs or default_jobs()
        with Stage(out_dir, TIERS, cache.book_dir(out_dir) if cache else None,
                   list_ahead=jobs > 1) as stage, contextlib.ExitStack() as background:  # --jobs 1: one process
            ahead: MembersAhead | None = None
            spent = 0.0  # seconds given to the audit before it runs

            def start_ahead(posts: Sequence[RenderedPost]) -> None:
                """The bodies are rendered: a first audit may start on the member side (see MembersAhead).
                Where an audit left a memory, it knows most posts, and is loaded only when the audit runs."""
                nonlocal ahead, spent
                if cache is not None and stage.book_dir and cache.knows_audits(stage.book_dir):
                    return
                begun = time.perf_counter()
                from .audit import audit_ahead  # here: numpy and the audit load only when a build renders

                ahead = background.enter_context(audit_ahead(posts, jobs))
                spent = time.perf_counter() - begun

            early: AuditAhead | None = None

            def audit_public(public: PublicTree) -> None:
                """The public tree is whole: stage it, and audit it on a child while the members site is made."""
                nonlocal early
                if ahead is None and public.rendered <= FEW_PAGES and cache is not None:
                    stage.stage_tier("public", public.files)
                    early = background.enter_context(contextlib.closing(AuditAhead(
                        stage, cache, public.config, public.posts, public.pages, options.site_dir)))

            plan = plan_site(options, clock, stage, cache, keep_bodies=False, on_rendered=start_ahead,
                             on_public=audit_public if can_fork() and audits_ahead(stage, cache) else None)
            if not options.keep_plan:  # the pages are made: the views of both tiers go before the audit forks
                plan = dataclasses.replace(plan, sites={}, env=None)
            files = {tier: len(stage.live(tier)) for tier in TIERS} if plan.unchanged else {
                tier: len(tree) for tier, tree in plan.trees.items()}
            if not plan.unchanged:
                if options.progress is not None:
                    options.progress("writing", 0, 1)  # the steps before the swap (search, audit) take a while
                search = index_staged(plan.pagefind, TIERS) if plan.pagefind else None

                def audit_here() -> Callable[[str], None]:  # after search: it reads the index
                    auditing = time.perf_counter()
                    from .audit import audit_step

                    memory = cache.audit(stage.book_dir) if cache is not None and stage.book_dir else None
                    return audit_step(plan.config, plan.posts, plan.pages, clock.laps,
                                      jobs=jobs, memory=memory, started=auditing - spent, ahead=ahead,
                                      site_dir=options.site_dir)

                audit = early.before_swap(audit_here, clock.laps) if early is not None and early.started else (
                    audit_here())
                report = stage.commit(plan.trees, before_swap=_in_order(search, audit), signature=plan.inputs,
                                      steps_write=search is not None)
    finally:
        if cache is not None:
            cache.save()
    clock.lap("write")
    published = plan.published
    drafts = sum(meta.draft for meta in published)
    warnings = (*plan.warnings, *plan.link_warnings)
    if drafts and options.members_url != "":  # not the preview's, which is for drafts
        warnings = (*warnings, f"--drafts: the output holds {count_of(drafts, 'draft')}, on the "
                    "public site too, a plus draft as it stands (its teaser unchecked): build without --drafts "
                    "before you deploy")
    return BuildResult(out_dir, len(published), sum(m.tier == "plus" for m in published), len(plan.source.pages),
                       files, clock.total, clock.laps, plan.tier_changes, warnings, plan.rendered,
                       0 if plan.unchanged else report.written + report.removed,
                       () if plan.unchanged else report.changed, plan if options.keep_plan else None, plan.left_out)


def plan_site(options: BuildOptions, clock: _Stopwatch | None = None, stage: Stage | None = None,
              cache: BuildCache | None = None, keep_bodies: bool = True,
              on_rendered: Callable[[Sequence[RenderedPost]], None] | None = None,
              on_public: Callable[[PublicTree], None] | None = None) -> SitePlan:
    """Every stage but writing: load, apply access rules, render, select, assemble each tier's files.

    Given a stage, pages are rendered straight into it; given a cache, what is in it is reused. Without
    keep_bodies, the plan's `source` leaves out the Markdown of each post once it is rendered. `on_rendered`
    is told the posts to publish once their bodies are rendered and checked. Given `on_public`, a site
    with no search index is made a tier at a time, and on_public is told the public tree once it is whole.
    """
    clock = clock or _Stopwatch()
    site_dir = os.path.abspath(options.site_dir)
    config, pagefind, warnings = search_setup(_config(site_dir, options))
    env = make_environment(site_dir, cache.templates() if cache else None)
    jobs = options.jobs or default_jobs()
    sources = cache.sources(config) if cache else None
    parse = sources.parse if sources else parse_source
    recall = sources.recall if sources else None
    static = _fingerprinted(read_static([os.path.join(THEME_DIR, "static"), os.path.join(site_dir, "static")]))
    with BodyRenderer(config.raw_html, jobs, cache.bodies() if cache else None, parse, options.progress,
                      recall) as bodies:
        source = load_sources(site_dir, config, env, bodies.parse, bodies.recall)  # bodies render as the rest is read
        now = build_now(options)
        source, changes = apply_access_rules(source, now)
        published = tuple(p.meta for p in select_posts(source.posts, now, options.drafts, options.future))  # type: ignore[arg-type]
        warnings = (*warnings, *check_terms(published), *_site_toml_warnings(config, site_dir),
                    *_front_matter_warnings((*published, *(page.meta for page in source.pages))))
        built = {meta.path for meta in published}
        left_out = tuple(p.meta for p in source.posts if p.meta.path not in built)
        tier_changes = tuple(c for c in changes if c.path in built)
        inputs = inputs_key(site_dir, config, bodies.sources_digest(source), built, source.assets, static,
                            pagefind) if cache else ""
        clock.lap("load")
        held = stage is not None and inputs and not options.keep_plan and stage.holds(inputs)  # inputs: a cache
        kept = cache.body_warnings(inputs) if held and cache is not None else None
        if kept is not None:
            return SitePlan(config, source, (), (), {}, {}, tier_changes, pagefind, (*warnings, *kept), published, 0,
                            inputs, unchanged=True, left_out=left_out)
        posts, pages = bodies.render(source)
        if cache is not None and cache.one_build:
            cache.bodies().save_and_let_go()
    if not keep_bodies:
        source = source.without_bodies()
    clock.lap("render")
    posts = select_posts(posts, now, options.drafts, options.future)
    check_urls(config, [p.meta for p in posts], [p.meta for p in pages])
    check_withheld(posts)
    if on_rendered is not None:
        on_rendered(posts)
    named = files_named(site_dir, [asset.url for asset in source.assets]) if source.assets else frozenset()
    body_warnings = (*_body_warnings([*posts, *pages]), *_unlinked_warning(source.assets, posts, pages, config, named))
    warnings = (*warnings, *body_warnings)
    moved = [p.meta for p in (*posts, *pages) if p.meta.aliases]
    redirects = (redirect_pages(config, moved), redirects_file(config, moved))
    tier_by_tier = on_public is not None and not pagefind  # the public site whole first (see on_public)
    # "public" first: the members build borrows its teasers for feeds and descriptions
    sites = {tier: assemble_site(tier, config, posts, pages, source.assets)
             for tier in (TIERS[:1] if tier_by_tier else TIERS)}
    clock.lap("assemble")
    asset_urls = _asset_urls(sites["public"], static)
    digests = bodies.digests(config, posts, pages) if cache else None

    def pages_of(tiers: tuple[str, ...]) -> tuple[dict[str, dict[str, FileData]], int]:
        return site_pages(env, sites, site_dir, asset_urls, jobs, stage, cache, digests, options.progress, tiers)

    def files_of(tier: str, html: dict[str, FileData]) -> dict[str, FileData]:
        return tier_files(env, sites[tier], site_dir, static, public=sites["public"], pages=html,
                          feeds=kept_feeds(sites[tier], sites["public"], stage, cache), redirects=redirects)

    if not tier_by_tier:  # every tier's pages at once, on every core
        html, rendered = pages_of(TIERS)
        clock.lap("pages")
        trees = {tier: files_of(tier, html[tier]) for tier in TIERS}
    else:  # a search index would be made in the public site after the members site: none here
        assert on_public is not None
        html, rendered = pages_of(("public",))
        trees = {"public": files_of("public", html["public"])}
        on_public(PublicTree(config, trees["public"], tuple(posts), tuple(pages), rendered))
        sites["members"] = assemble_site("members", config, posts, pages, source.assets)
        html, more = pages_of(("members",))
        rendered += more
        clock.lap("pages")
        trees["members"] = files_of("members", html["members"])
    plan = SitePlan(config, source, tuple(posts), tuple(pages), sites, trees, tier_changes, pagefind, warnings,
                    published, rendered, inputs, env=env, asset_urls=asset_urls, left_out=left_out)
    from .check import body_link_warnings  # check.py plans a site as this module does

    links = body_link_warnings(plan, site_dir)
    if cache is not None:
        cache.keep_body_warnings(inputs, (*body_warnings, *links))  # an unchanged build gives them again
    clock.lap("files")
    return dataclasses.replace(plan, link_warnings=links)


def _front_matter_warnings(metas: tuple[PostMeta, ...]) -> tuple[str, ...]:
    """What builds but is likely a slip: an `image:` link previews cannot show (X, Facebook, LinkedIn and
    messengers take no SVG), an `updated` time before the post's `date`, a title in curly quotes pasted
    from a word processor."""
    warnings = []
    for meta in metas:
        if meta.image and _is_svg(meta.image):
            warnings.append(f"{meta.path}: `image: {meta.image}` is an SVG, {SVG_CARD}")
        if meta.updated is not None and meta.date is not None and meta.updated < meta.date:
            warnings.append(f"{meta.path}: `updated` ({meta.updated.isoformat()}) is before `date` "
                            f"({meta.date.isoformat()}): feeds and search engines would show it changed before "
                            "it was published")
        for key in ("title", "description"):
            value = getattr(meta, key)
            if len(value) > 2 and value[0] in "\u201c\u2018" and value[-1] in "\u201d\u2019":
                warnings.append(f'{meta.path}: the {key} is wrapped in curly quotes, which show on the page as '
                                f'part of it: {value} (if you meant to quote it for YAML, use straight ones: '
                                f'{key}: "{value[1:-1]}")')
    return tuple(warnings)


def _body_warnings(posts: Sequence[RenderedPost]) -> tuple[str, ...]:
    """What renders but is likely a slip in a body: a code block never closed takes the rest of the post; a
    link with a space in its address, a footnote never written (render.body_notes)."""
    fences = [f"{post.meta.path}:{post.open_fence.line}: this code block is never closed, so everything after "
              "it shows as code: end it with a ``` line of its own" for post in posts if post.open_fence]
    return (*fences, *(f"{post.meta.path}:{line}: {note}" for post in posts for line, note in post.notes))


def _unlinked_warning(assets: Sequence[Asset], posts: Sequence[RenderedPost], pages: Sequence[RenderedPost],
                      config: SiteConfig, named: frozenset[str]) -> tuple[str, ...]:
    """Files under content/ that nothing published links to: on the members site only, which may surprise.
    A file a template of the site names (`named`) is said apart: it belongs in static/."""
    unlinked = unlinked_assets(assets, posts, pages, config) if assets else ()
    warnings = []
    for files, why in (([a for a in unlinked if a.url in named], "a template of the site names {them}, but the "
                        "public site has only the files under content/ that posts, pages and site.toml link to "
                        "(a template's link may be for members only), so only the members site has {them}: put "
                        "a file for both sites in static/"),
                       ([a for a in unlinked if a.url not in named], "no published post or page, or site.toml, "
                        "links to {them}, so only the members site has {them} (link to a file from a free post "
                        "or page to publish it; put a file for both sites in static/; move a working file out of "
                        "content/)")):
        if files:
            names = ", ".join(f"content{asset.url}" for asset in files[:UNLINKED_NAMED])
            more = f" and {len(files) - UNLINKED_NAMED} more" if len(files) > UNLINKED_NAMED else ""
            warnings.append(f"{names}{more}: " + why.format(them="it" if len(files) == 1 else "them"))
    return tuple(warnings)


def _site_toml_warnings(config: SiteConfig, site_dir: str) -> tuple[str, ...]:
    """What builds but is likely a slip in site.toml: an SVG social card, a token feed with no members_url."""
    warnings = []
    if config.image and _is_svg(config.image):
        line = site_toml_line(site_dir, "", "image")
        warnings.append(f"site.toml{f':{line}' if line else ''}: `image = \"{config.image}\"` is an SVG, "
                        f"{SVG_CARD}")
    if config.feeds.members_token and not config.members_url:
        warnings.append(f"site.toml: members_url is not set, so the members' token feed gives its own address as "
                        f"{config.base_url.rstrip('/')}/feeds/TOKEN/ on the public site; set members_url to where "
                        "output/members is served (unless that folder is copied to the public site)")
    return tuple(warnings)


def _is_svg(image: str) -> bool:
    return urlsplit(image).path.lower().endswith(".svg")


def kept_feeds(site: Site, public: Site, stage: Stage | None, cache: BuildCache | None) -> dict[str, FileData]:
    """Every feed file of one tier: kept from the live output when it shows the same feed, else made.

    Given a stage, a feed made is written into it at once: a site's feeds run to tens of megabytes.
    """
    if stage is None:
        return dict(feed_files(site, public))
    made = cache.pages(stage.book_dir, f"feeds-{site.tier}") if cache is not None and stage.book_dir else None
    live = stage.live(site.tier) if made is not None else {}
    settings = key_of(code_version(), repr(site.config), site.tier, os.environ.get("SOURCE_DATE_EPOCH", ""))
    root, staged = stage.root(site.tier), stage.staged_digests(site.tier)
    files: dict[str, FileData] = {}
    spelt: dict[int, str] = {}  # repr of each feed, made once for its two or three files
    bodies = cache.feed_bodies(site.tier) if cache is not None and not cache.one_build else None
    writer = FeedWriter(site)
    for source in feed_sources(site, public, bodies=bodies):
        key = ""
        if made is not None:
            key = key_of(settings, *(_feed_field(source, name, spelt) for name in FEED_FILE_FIELDS))
        digest = made.lookup(source.path, key, lambda context, _reads: context) if made is not None else None
        if digest is not None and live.get(source.path) == digest:
            files[source.path] = KeepFile(digest)
            continue
        digest, stat = stage_file(root, source.path, writer.bytes(source), staged.get(source.path))
        stage.record(site.tier, source.path, digest, stat)
        if made is not None:
            made.store(source.path, key, (), key, digest)
        files[source.path] = StagedFile(digest)
    return files


FEED_FILE_FIELDS = tuple(f.name for f in dataclasses.fields(FeedFile))


def _feed_field(source: FeedFile, name: str, spelt: dict[int, str]) -> str:
    """repr of one field of a feed file; a feed's own repr is made once for its two or three files."""
    value = getattr(source, name)
    if name != "feed":
        return repr(value)
    if id(value) not in spelt:
        spelt[id(value)] = repr(value)
    return spelt[id(value)]


def _in_order(*steps: Callable[[str], None] | None) -> Callable[[str], None]:
    """One before-swap callback running each step on the staged trees in turn: search index, then audit."""

    def run(staging_dir: str) -> None:
        for step in steps:
            if step is not None:
                step(staging_dir)

    return run


def load_sources(site_dir: str, config: SiteConfig, env: jinja2.Environment,
                 parse: Callable[[str, bytes, str, SiteConfig], SourcePost] | None = None,
                 recall: Callable[[str, str, str], SourcePost | None] | None = None) -> SourceContent:
    """Read content and compile templates, reporting the problems of both in one error."""
    problems: list[Problem] = []
    try:
        source = read_content(site_dir, config, parse, recall)
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
    if options.members_url is not None:
        config = dataclasses.replace(config, members_url=options.members_url)
    if options.base_url:
        if "://" not in options.base_url:
            raise SiteError.one("--base-url", None, f'"{options.base_url}" is not an absolute URL',
                                "for example: --base-url https://preview.example.com")
        config = dataclasses.replace(config, base_url=options.base_url)
        # site.toml's check of members_url against base_url's path (config.py) saw the base_url being replaced
        path, members_path = (urlsplit(url).path.rstrip("/") for url in (config.base_url, config.members_url))
        if config.members_url and members_path != path:
            base, members = urlsplit(config.base_url), urlsplit(config.members_url)
            raise SiteError.one(
                "--base-url", None,
                f'"{options.base_url}" has the path "{path or "/"}", but site.toml\'s members_url '
                f'"{config.members_url}" has "{members_path or "/"}": they must be the same',
                "the members pages link to each other under base_url's path; for example: --base-url "
                f'{base.scheme}://{base.netloc}{members_path}, or members_url = '
                f'"{members.scheme}://{members.netloc}{path}" in site.toml')
    return config


def tier_files(env, site: Site, site_dir: str, static: dict[str, tuple[str, bytes]],  # type: ignore[no-untyped-def]
               public: Site | None = None, pages: dict[str, FileData] | None = None,
               feeds: dict[str, FileData] | None = None,
               redirects: tuple[Sequence[tuple[str, dict[str, bytes]]], dict[str, bytes]] = ((), {}),
               ) -> dict[str, FileData]:
    """Every file of one tier: pages, feeds, robots/sitemap, static theme files and content assets.

    `public` is the public Site (the site itself in the public tier): feeds and page descriptions of plus
    posts come from its teasers, never from full text. `pages` are the HTML pages, if already made.
    `redirects` are the pages `aliases:` ask for, by the source that asks, and the host's `_redirects`.
    """
    public = public or site
    assert public.tier == "public", "teasers come from the public Site only"
    files: dict[str, FileData] = {}
    if pages is None:
        pages = dict(render_pages(env, site, site_dir, _asset_urls(site, static), public))
    add_files(files, pages, "a page")
    add_files(files, feed_files(site, public) if feeds is None else feeds, "a feed")
    add_files(files, search_engine_files(site), "robots.txt or sitemap.xml")
    add_files(files, {f"assets/{hashed}": data for hashed, data in static.values()}, "a theme file")
    moved_pages, redirect_rules = redirects
    host, assets = host_files({**headers_file(site, static), **redirect_rules},
                              {a.url.lstrip("/"): CopyFile(a.source) for a in site.assets})
    add_files(files, host, "a file for the host")
    add_files(files, assets, "a file under content/")
    for source, pages_moved in moved_pages:
        add_files(files, pages_moved, f"the redirect `aliases:` of {source} asks for")
    return files


def _root(site: Site) -> str:
    from .site import base_path

    return base_path(site.config)


def _asset_urls(site: Site, static: dict[str, tuple[str, bytes]]) -> dict[str, str]:
    """{theme file name: its fingerprinted URL}, for the templates' asset() function."""
    return {name: f"{_root(site)}/assets/{hashed}" for name, (hashed, _) in static.items()}


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
