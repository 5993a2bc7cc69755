"""Rendered posts -> Site: one tier's posts, pages, tags, series, authors, archive and assets.

`assemble_site` is given the editions of one tier only; the public site is built from public
bodies and can hold nothing else.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import html
import math
import posixpath
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote, urljoin, urlsplit
from zoneinfo import ZoneInfo

from .config import SiteConfig
from .content import Asset
from .errors import Problem, SiteError
from .frontmatter import PostMeta
from .render import Heading, RenderedBody, RenderedPost, StrayMore, unpack

TIERS = ("public", "members")
RESERVED_ROOTS = ("page", "tags", "series", "authors", "archive", "feeds", "assets", "search", "pagefind")
WORDS_PER_MINUTE = 230
# A start tag; text and code in rendered HTML hold no raw "<", so only real tags match.
START_TAG = re.compile(r"""<[a-zA-Z](?:"[^"]*"|'[^']*'|[^'">])*>""")
URL_ATTR = re.compile(r"""(\s(?:href|src|poster|cite)\s*=\s*)("[^"]*"|'[^']*'|[^\s"'>]+)""", re.IGNORECASE)
SRCSET_ATTR = re.compile(r"""(\ssrcset\s*=\s*)("[^"]*"|'[^']*'|[^\s"'>]+)""", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Link:
    """A tag, series or author as a list shows it."""

    name: str
    slug: str
    url: str


class PackedBody:
    """`html` and `text` of a view whose body is kept packed (see render.RenderedBody), for templates."""

    __slots__ = ()
    packed_html: bytes
    packed_text: bytes
    base_path: str

    @property
    def html(self) -> str:
        """The body, its root-relative links under the site's base path."""
        return rebased(unpack(self.packed_html), self.base_path)

    @property
    def text(self) -> str:
        return unpack(self.packed_text)


@dataclass(frozen=True, slots=True)
class PostView(PackedBody):
    """What a template may show of a post in one tier."""

    title: str
    slug: str
    url: str
    date: dt.datetime
    updated: dt.datetime | None
    is_plus: bool
    is_teaser: bool  # public edition of a plus post: the body is the teaser
    cut: bool  # the teaser leaves something out
    tags: tuple[Link, ...]
    series: Link | None
    authors: tuple[Link, ...]
    description: str
    summary: str  # description, or the start of the body this tier may show
    packed_html: bytes  # the body, compressed as RenderedBody keeps it: templates read `html`
    packed_text: bytes  # the body's plain text, likewise: templates read `text`
    toc: tuple[Heading, ...]
    words: int
    reading_minutes: int
    image: str
    links: tuple[str, ...]
    base_path: str  # the site's (see base_path()): the body's root-relative links are put under it
    draft: bool = False  # built only with --drafts: the pages say so
    series_part: int = 0  # its place in its series, oldest first (1, 2, ...); 0 when in none
    series_prev: Link | None = None  # the series' post before it (name: its title)
    series_next: Link | None = None


@dataclass(frozen=True, slots=True)
class PageView(PackedBody):
    """A content page (About, Subscribe): always public."""

    title: str
    slug: str
    url: str
    description: str
    packed_html: bytes  # as in PostView
    packed_text: bytes
    image: str
    updated: dt.datetime | None
    links: tuple[str, ...]
    base_path: str


@dataclass(frozen=True, slots=True)
class Term:
    """A tag, series or author with its posts, newest first."""

    kind: str  # "tag", "series", "author"
    name: str
    slug: str
    url: str
    posts: tuple[PostView, ...]
    bio: str = ""


@dataclass(frozen=True, slots=True)
class Month:
    year: int
    month: int
    url: str
    posts: tuple[PostView, ...]


@dataclass(frozen=True, slots=True)
class Year:
    year: int
    url: str
    months: tuple[Month, ...]


@dataclass(frozen=True, slots=True)
class Site:
    tier: str
    config: SiteConfig
    posts: tuple[PostView, ...]  # newest first
    pages: tuple[PageView, ...]
    tags: tuple[Term, ...]
    series: tuple[Term, ...]
    authors: tuple[Term, ...]
    years: tuple[Year, ...]
    assets: tuple[Asset, ...]
    has_plus: bool = False  # whether any post is for Plus (in the public tier, shown as a teaser)


def select_posts(posts: Iterable[RenderedPost], now: dt.datetime, drafts: bool, future: bool) -> list[RenderedPost]:
    """Leave out drafts and posts dated after `now` unless asked for."""
    return [p for p in posts if (drafts or not p.meta.draft)
            and (future or p.meta.date is None or p.meta.date <= now)]


def check_urls(config: SiteConfig, posts: Sequence[PostMeta], pages: Sequence[PostMeta]) -> None:
    """Two sources may not claim one URL; a page may not take a URL the site needs."""
    problems: list[Problem] = []
    owners: dict[str, str] = {}
    for meta in [*posts, *pages]:
        url = address_of(config, meta)
        if meta.kind == "page" and meta.slug in RESERVED_ROOTS:
            problems.append(Problem(meta.path, None, f'page slug "{meta.slug}" is reserved for the site\'s own '
                                    f"{meta.slug} pages", "set another `slug:` in its front matter"))
        key = url.lower()
        if key in owners:
            problems.append(Problem(meta.path, None, f"{url} is also the URL of {owners[key]}",
                                    "give one of them another `slug:` (URLs differing only by case clash "
                                    "on many hosts)"))
        else:
            owners[key] = meta.path
    for meta in [*posts, *pages]:  # an old address must be no one's address now, nor another's old one
        for alias in meta.aliases:
            url = base_path(config) + alias
            key = url.lower()
            if key in owners:
                problems.append(Problem(meta.path, None, f"`aliases` has {url}, which is also the URL of "
                                        f"{owners[key]}", "an alias is an old address that has no page of its "
                                        "own any more: remove it from `aliases`"))
            else:
                owners[key] = f"an alias of {meta.path}"
    if problems:
        raise SiteError(problems)


def check_withheld(posts: Sequence[RenderedPost]) -> None:
    """A plus post must keep something for members: one whose teaser is all of it would go out whole.

    Nor may a `<!--more-->` line the writer put in be swallowed by a code block never closed (the teaser
    would run on past it). A draft (built only with --drafts, to look at) is let through: the check comes
    when it is published.
    """
    problems = [Problem(post.meta.path, None,
                        f"this plus post's public teaser is the whole post ({_why_whole(post)}): the public site "
                        "would show all of it, and nothing would be for members only",
                        "put a `<!--more-->` line where the public part ends, with text after it; or set a smaller "
                        "`teaser:` (`teaser: 0` shows only the title and the prompt); or make it `tier: free`")
                for post in posts if post.meta.tier == "plus" and not post.cut and not post.meta.draft
                and not _swallowed_more(post) and not post.stray_more]
    problems += [Problem(post.meta.path, post.open_fence.more_line,
                         f"this `<!--more-->` line is inside the code block opened on line {post.open_fence.line}, "
                         "which is never closed: the teaser does not end here, and the public would read on into "
                         "what follows", "close the code block with a ``` line of its own before `<!--more-->`")
                 for post in posts if _swallowed_more(post) and not post.meta.draft]
    problems += [_stray_more_problem(post.meta.path, post.stray_more) for post in posts
                 if post.stray_more and not post.meta.draft]
    if problems:
        raise SiteError(problems)


def _stray_more_problem(path: str, stray: StrayMore) -> Problem:
    where = (f"markdown reads it as part of the HTML block that starts on line {stray.block_line}"
             if stray.block_line else "it is indented 4 spaces or more, so markdown reads it as code"
             if stray.inside == "code" else f"it is inside a {stray.inside}")
    return Problem(path, stray.line, f"this `<!--more-->` is not on a line of its own ({where}), so the teaser does "
                   "not end here, and the public would read on past it",
                   "put `<!--more-->` on a line by itself, with a blank line before it")


def _swallowed_more(post: RenderedPost) -> bool:
    """Whether a plus post's `<!--more-->` line is inside a code block never closed, where it does not cut."""
    return post.meta.tier == "plus" and post.open_fence is not None and post.open_fence.more_line > 0


def _why_whole(post: RenderedPost) -> str:
    words = post.full.words
    if not words:
        return "it has no body text"
    if words <= post.meta.teaser:
        return f"{words} word{'s' if words != 1 else ''}, and its teaser is {post.meta.teaser}"
    return "nothing follows its `<!--more-->` line"


def alias_file(alias: str) -> str:
    """The output file of an `aliases:` path: a folder's index.html, or the page named (served under the base path)."""
    return alias.lstrip("/") + "index.html" if alias.endswith("/") else alias.lstrip("/")


def post_url(config: SiteConfig, meta: PostMeta) -> str:
    assert meta.date is not None
    return base_path(config) + _post_path(config.permalink, config.timezone, meta.date, meta.slug)


@functools.lru_cache(maxsize=1 << 16)  # a build asks for each post's URL a few times in each tier
def _post_path(permalink: str, timezone: str, date: dt.datetime, slug: str) -> str:
    local = date.astimezone(ZoneInfo(timezone))
    return permalink.format(year=f"{local.year:04d}", month=f"{local.month:02d}", day=f"{local.day:02d}", slug=slug)


def page_url(config: SiteConfig, meta: PostMeta) -> str:
    return f"{base_path(config)}/{meta.slug}/"


def address_of(config: SiteConfig, meta: PostMeta) -> str:
    """The URL of a post or a page."""
    return post_url(config, meta) if meta.kind == "post" else page_url(config, meta)


def uri(url: str) -> str:
    """A URL as a URI: non-ASCII characters (a tag in Japanese) and spaces percent-encoded, for the sitemap
    and feeds, which carry URIs, not IRIs. Pages keep the URL as written: browsers take IRIs."""
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~-._")


def base_path(config: SiteConfig) -> str:
    """The path part of base_url, so a site can live under https://host/blog/."""
    return urlsplit(config.base_url).path.rstrip("/")


def tier_base_url(config: SiteConfig, tier: str) -> str:
    """Where a tier is deployed: members_url for the members build when set, else base_url."""
    return config.members_url if tier == "members" and config.members_url else config.base_url


def absolute_url(site: Site, url: str) -> str:
    """A site URL (which already carries the base path) as an absolute URL where this tier is deployed."""
    return _absolute(site.config, tier_base_url(site.config, site.tier), url)


def public_absolute_url(config: SiteConfig, url: str) -> str:
    """A site URL as an absolute URL on the public site, whichever tier asks: canonical links, JSON-LD."""
    return _absolute(config, config.base_url, url)


def _absolute(config: SiteConfig, address: str, url: str) -> str:
    if "://" in url:
        return url
    where = urlsplit(address)
    return f"{where.scheme}://{where.netloc}{with_base_path(config, url)}"


def with_base_path(config: SiteConfig, path: str) -> str:
    """A root-relative path with the base path in front, unless it already has it: /about/ -> /blog/about/."""
    return _under(base_path(config), path)


def _under(root: str, path: str) -> str:
    return path if not root or path == root or path.startswith(root + "/") else root + path


def map_urls(fragment: str, change: Callable[[str], str | None]) -> str:
    """Rewrite the URLs in href/src/poster/cite/srcset of an HTML fragment's tags.

    `change` takes a URL as written (unescaped) and returns its replacement, or None to leave the
    attribute exactly as it is.
    """

    def value_of(match: re.Match[str]) -> str:
        raw = match.group(2)
        return html.unescape(raw[1:-1] if raw[0] in "\"'" else raw).strip()

    def one(match: re.Match[str]) -> str:
        new = change(value_of(match))
        return match.group(0) if new is None else f'{match.group(1)}"{html.escape(new)}"'

    def srcset(match: re.Match[str]) -> str:
        candidates, changed = [], False
        for candidate in value_of(match).split(","):
            bits = candidate.split()
            if bits:
                new = change(bits[0])
                changed = changed or new is not None
                candidates.append(" ".join([bits[0] if new is None else new, *bits[1:]]))
        return f'{match.group(1)}"{html.escape(", ".join(candidates))}"' if changed else match.group(0)

    def tag(match: re.Match[str]) -> str:
        text = match.group(0)
        if "=" not in text:  # most tags (<p>, <em>, <li>) have no attribute with a value
            return text
        return SRCSET_ATTR.sub(srcset, URL_ATTR.sub(one, text))

    return START_TAG.sub(tag, fragment)


def on_site(config: SiteConfig, url: str) -> str:
    """A link as the site serves it: root-relative ones under the base path (/images/x.svg -> /blog/images/x.svg).

    Writers link to /2026/10/slug/ or /images/x.svg as README says; on a site at https://host/blog (or built
    with --base-url at one) that is /blog/2026/10/slug/. Links already under the base path, relative ones,
    full URLs and `//host/...` are left as they are.
    """
    return _on_site_under(base_path(config), url)


def _on_site_under(root: str, url: str) -> str:
    return _under(root, url) if url.startswith("/") and not url.startswith("//") else url


def rebased(fragment: str, root: str) -> str:
    """A rendered body with its root-relative links under the base path `root`; unchanged at the top of a host."""
    if not root or "/" not in fragment:
        return fragment

    def change(url: str) -> str | None:
        served = _on_site_under(root, url)
        return served if served != url else None  # None: the attribute stays byte for byte as it was

    return map_urls(fragment, change)


NOT_SLUG = re.compile(r"[^\w]+")


@functools.lru_cache(maxsize=4096)  # the same few tags, series and authors, on every post of every tier
def slugify(name: str) -> str:
    slug = NOT_SLUG.sub("-", name.lower()).strip("-")
    return slug or "untitled"


MAX_SLUG_BYTES = 200  # a tag's or series' URL segment is a folder name: file systems take 255 bytes at most


def check_terms(posts: Sequence[PostMeta]) -> tuple[str, ...]:
    """Each tag and series name must make a URL segment of its own; return warnings for names spelt two ways.

    A name without letters or digits (every such name would share one page) and one too long to be a
    folder name are errors. Two spellings that make one URL ("S&P 500", "S&P-500") share a page, shown
    under the first: a warning, unless they differ only by case and spacing (the same name, then).
    """
    problems: list[Problem] = []
    first: dict[tuple[str, str], tuple[str, str]] = {}  # (kind, slug) -> (name, path) that first made it
    warned: set[tuple[str, str]] = set()
    warnings: list[str] = []
    for meta in posts:
        series = (meta.series,) if meta.series else ()
        for kind, label, names in (("tags", "tag", meta.tags), ("series", "series", series)):
            for name in names:
                if first.get((kind, slugify(name)), ("",))[0] == name:
                    continue  # a name met before, as it was spelt then: the common case, a dictionary lookup
                slug = slugify(name)
                if not NOT_SLUG.sub("", name):
                    problems.append(Problem(meta.path, None, f'{label} "{name}" has no letters or digits to make its '
                                            "URL from", f"give the {label} a name with a word in it"))
                elif len(slug.encode()) > MAX_SLUG_BYTES:
                    problems.append(Problem(meta.path, None, f'{label} "{name[:40]}…" is too long for its URL '
                                            f"({len(slug.encode())} bytes as a folder name; at most {MAX_SLUG_BYTES})",
                                            f"shorten the {label}: a few words name a topic"))
                else:
                    earlier, where = first.setdefault((kind, slug), (name, meta.path))
                    if _spelling(earlier) != _spelling(name) and (earlier, name) not in warned:
                        warned.add((earlier, name))
                        warnings.append(f'{meta.path}: {label} "{name}" makes the same URL (/{kind}/{slug}/) as '
                                        f'"{earlier}" in {where}: they share one page, shown as "{earlier}" (spell '
                                        "them alike, or rename one)")
    if problems:
        raise SiteError(problems)
    return tuple(warnings)


def _spelling(name: str) -> str:
    return " ".join(name.casefold().split())


def assemble_site(tier: str, config: SiteConfig, posts: Sequence[RenderedPost],
                  pages: Sequence[RenderedPost], assets: Sequence[Asset]) -> Site:
    """Build one tier's site from the editions that tier may see."""
    config = _links_on_site(config)
    links = _Links(config)
    places = _series_places(config, posts, links)
    views = sorted((post_view(tier, config, p, links, places.get(p.meta.path)) for p in posts),
                   key=lambda v: (v.date, v.slug), reverse=True)
    page_views = tuple(sorted((page_view(config, p) for p in pages), key=lambda v: v.slug))
    root = base_path(config)
    tags = _terms("tag", views, lambda v: v.tags, f"{root}/tags")
    series = _terms("series", views, lambda v: (v.series,) if v.series else (), f"{root}/series")
    authors = _terms("author", views, lambda v: v.authors, f"{root}/authors", config)
    kept_assets = assets_for(tier, assets, posts, page_views, config)
    return Site(tier, config, tuple(views), page_views, tags, series, authors,
                _archive(views, root), kept_assets, any(view.is_plus for view in views))


SeriesPlace = tuple[int, "Link | None", "Link | None"]  # part number, the parts before and after


def _series_places(config: SiteConfig, posts: Sequence[RenderedPost], links: _Links) -> dict[str, SeriesPlace]:
    """{post file: its place in its series}, oldest first.

    A post's place changes only when its neighbours do (one is added, retitled or removed), so a new
    part renders again the one before it, not the whole series."""
    by_series: dict[str, list[RenderedPost]] = {}
    for post in posts:
        if post.meta.series:
            by_series.setdefault(links.series(post.meta.series).url, []).append(post)
    places: dict[str, SeriesPlace] = {}
    for members in by_series.values():
        members.sort(key=lambda p: (p.meta.date, p.meta.slug))
        marks = [Link(p.meta.title, p.meta.slug, post_url(config, p.meta)) for p in members]
        for part, post in enumerate(members, 1):
            places[post.meta.path] = (part, marks[part - 2] if part > 1 else None,
                                      marks[part] if part < len(marks) else None)
    return places


def _links_on_site(config: SiteConfig) -> SiteConfig:
    """site.toml's links into the site ([[menu]] urls, [paywall] subscribe_url) under the base path.

    "/subscribe/" is /blog/subscribe/ on a site at https://host/blog, however the base path was set (an
    address of another host is a full URL); login_url lives on the membership system and is left as written.
    """
    if not base_path(config):
        return config
    paywall = dataclasses.replace(config.paywall, subscribe_url=on_site(config, config.paywall.subscribe_url))
    menu = tuple(dataclasses.replace(item, url=on_site(config, item.url)) for item in config.menu)
    return dataclasses.replace(config, paywall=paywall, menu=menu)


def _edition(tier: str, post: RenderedPost) -> RenderedBody:
    return post.full if tier == "members" else post.public


def post_view(tier: str, config: SiteConfig, post: RenderedPost, links: _Links | None = None,
              place: SeriesPlace | None = None) -> PostView:
    """What one tier shows of a post: the config is the Site's (assemble_site links it to the site).

    `links` makes each tag's, series' and author's link once for all the posts of a site; `place` is the
    post's in its series (see _series_places).
    """
    meta, body = post.meta, _edition(tier, post)
    assert meta.date is not None
    links = links or _Links(config)
    root = links.root
    summary = meta.description or body.lead
    part, before, after = place or (0, None, None)
    return PostView(
        title=meta.title, slug=meta.slug, url=post_url(config, meta), date=meta.date.astimezone(links.zone),
        updated=meta.updated.astimezone(links.zone) if meta.updated else None,
        is_plus=meta.tier == "plus", is_teaser=tier == "public" and meta.tier == "plus", draft=meta.draft,
        cut=tier == "public" and post.cut,
        tags=tuple(links.tag(t) for t in meta.tags),
        series=links.series(meta.series) if meta.series else None,
        authors=tuple(links.author(key) for key in meta.authors),
        description=meta.description, summary=summary, packed_html=body.packed_html,
        packed_text=body.packed_text, toc=body.toc,
        words=body.words, reading_minutes=max(1, math.ceil(post.full.words / WORDS_PER_MINUTE)),
        image=on_site(config, meta.image), links=body.links, base_path=root,
        series_part=part, series_prev=before, series_next=after,
    )


class _Links:
    """The links of one site's tags, series and authors, each made once: a tag spelt two ways that makes one
    URL is shown everywhere as the first post (in source order) spells it, as check_terms says."""

    def __init__(self, config: SiteConfig) -> None:
        self.root = base_path(config)
        self.zone = config.zone
        self._names = {author.key: author.name for author in reversed(config.authors)}  # the first wins, as in author()
        self._made: dict[tuple[str, str], Link] = {}  # by (kind, name as written)
        self._by_url: dict[tuple[str, str], Link] = {}  # by (kind, slug): one link per URL

    def tag(self, name: str) -> Link:
        return self._link("tags", name)

    def series(self, name: str) -> Link:
        return self._link("series", name)

    def author(self, key: str) -> Link:
        made = self._made.get(("authors", key))
        if made is None:
            made = self._made["authors", key] = Link(self._names.get(key, key), key, f"{self.root}/authors/{key}/")
        return made

    def _link(self, kind: str, name: str) -> Link:
        made = self._made.get((kind, name))
        if made is None:  # one link per URL: "Rates" on one post and "rates" on another show alike everywhere
            slug = slugify(name)
            made = self._by_url.get((kind, slug)) or Link(name, slug, f"{self.root}/{kind}/{slug}/")
            self._made[kind, name] = self._by_url[kind, slug] = made
        return made


def page_view(config: SiteConfig, page: RenderedPost) -> PageView:
    """What every tier shows of a content page (the config is the Site's, as for post_view)."""
    meta = page.meta
    return PageView(title=meta.title, slug=meta.slug, url=page_url(config, meta),
                    description=meta.description or page.full.lead,
                    packed_html=page.full.packed_html, packed_text=page.full.packed_text,
                    image=on_site(config, meta.image), updated=meta.updated, links=page.full.links,
                    base_path=base_path(config))



def _terms(kind: str, views: Sequence[PostView], links_of, prefix: str,  # type: ignore[no-untyped-def]
           config: SiteConfig | None = None) -> tuple[Term, ...]:
    grouped: dict[str, list[PostView]] = defaultdict(list)
    names: dict[str, str] = {}
    for view in views:
        for link in links_of(view):
            grouped[link.slug].append(view)
            names.setdefault(link.slug, link.name)
    terms = []
    for slug in sorted(grouped):
        author = config.author(slug) if config else None
        terms.append(Term(kind, names[slug], slug, f"{prefix}/{slug}/", tuple(grouped[slug]),
                          bio=author.bio if author else ""))
    return tuple(terms)


def _archive(views: Sequence[PostView], root: str) -> tuple[Year, ...]:
    by_month: dict[tuple[int, int], list[PostView]] = defaultdict(list)
    for view in views:
        by_month[(view.date.year, view.date.month)].append(view)
    years = []
    for year in sorted({y for y, _ in by_month}, reverse=True):
        months = tuple(Month(year, m, f"{root}/archive/{year}/{m:02d}/", tuple(by_month[(year, m)]))
                       for m in sorted((m for y, m in by_month if y == year), reverse=True))
        years.append(Year(year, f"{root}/archive/{year}/", months))
    return tuple(years)


def assets_for(tier: str, assets: Sequence[Asset], posts: Sequence[RenderedPost], pages: Sequence[PageView],
               config: SiteConfig) -> tuple[Asset, ...]:
    """The public site has the files under content/ that the public may see something link to.

    That is a free post, a teaser, a page, an `image:` or site.toml. A file only members-only text, a draft
    or a post not yet out uses, or one nothing of these links to (a Word draft left beside a post; one a
    template names, which may be for members only), is on the members site only: static/ is for files of
    both. The site's own files for hosts and browsers (SITE_FILES at the top of content/, .well-known/) are
    on both.
    """
    if tier == "members" or not assets:  # with no files to leave out, no link need be resolved
        return tuple(assets)
    public_refs = linked_files(config, [(post_url(config, p.meta), (*p.public.links, p.meta.image)) for p in posts]
                               + [(view.url, (*view.links, view.image)) for view in pages], assets)
    return tuple(a for a in assets if posixpath.normpath(a.url) in public_refs or site_file(a))


# Files hosts and browsers ask a site for by name, which no page need link to.
SITE_FILES = re.compile(r"/(?:robots\.txt|favicon\.(?:ico|svg|png)|apple-touch-icon[\w.-]*\.png|_headers|_redirects"
                        r"|CNAME|\.nojekyll|humans\.txt|ads\.txt|app-ads\.txt|security\.txt|(?:site\.)?manifest\."
                        r"(?:webmanifest|json)|browserconfig\.xml|google[0-9a-f]+\.html|BingSiteAuth\.xml"
                        r"|yandex_[0-9a-f]+\.html|keybase\.txt)|/\.well-known/.+")


def site_file(asset: Asset) -> bool:
    """One of SITE_FILES at the top of content/, or a file under .well-known/."""
    return SITE_FILES.fullmatch(asset.url) is not None


def unlinked_assets(assets: Sequence[Asset], posts: Sequence[RenderedPost], pages: Sequence[RenderedPost],
                    config: SiteConfig) -> tuple[Asset, ...]:
    """The files under content/ that no published post or page, or site.toml, links to."""
    refs = linked_files(config, [(address_of(config, p.meta), (*p.full.links, p.meta.image))
                                 for p in (*posts, *pages)], assets)
    return tuple(a for a in assets if posixpath.normpath(a.url) not in refs and not site_file(a))


def _used_too(refs: set[str], assets: Sequence[Asset], config: SiteConfig) -> set[str]:
    """refs, with what the pages, stylesheets and SVGs among them load or link to (Asset.uses), and what
    those do, and so on: a chart's page embedded in a free post works on the public site, its script
    and stylesheet there too. Only files the linked ones use: a page only members see keeps its own."""
    using = {posixpath.normpath(a.url): a for a in assets if a.uses}
    waiting = [url for url in refs if url in using]
    while waiting:
        asset = using.pop(waiting.pop())
        for url in _asset_paths(f"{base_path(config)}{asset.url}", asset.uses, config) - refs:
            refs.add(url)
            if url in using:
                waiting.append(url)
    return refs


def linked_files(config: SiteConfig, linking: Iterable[tuple[str, Iterable[str]]],
                 assets: Sequence[Asset]) -> set[str]:
    """The content/ files (as Asset URLs) that these (page URL, its links) and site.toml's own links name,
    and those the files named use (_used_too)."""
    refs = _asset_paths(f"{base_path(config)}/", _site_links(config), config)
    for page, links in linking:
        refs |= _asset_paths(page, links, config)
    return _used_too(refs, assets, config)


def _site_links(config: SiteConfig) -> tuple[str, ...]:
    """site.toml's links the public sees: the social card, the menu, the paywall's buttons."""
    return (config.image, *(item.url for item in config.menu), config.paywall.subscribe_url, config.paywall.login_url)


def _asset_paths(page_url_: str, urls: Iterable[str], config: SiteConfig) -> set[str]:
    """The content/ files links may mean, as Asset URLs ("/images/x.svg"), whatever form they are written in.

    A link is resolved from its page as a browser would; one on the site's host (or members_url's) names
    an asset by its path under the base path (/blog/images/x.svg), or, outside it, by the path as written
    (/images/x.svg, which `on_site` serves as /blog/images/x.svg). Relative, root-relative with or without
    the base path, absolute and //host links thus all count, so no form lets member-only text's file through.
    """
    here = urljoin(config.base_url, page_url_)
    hosts = {urlsplit(config.base_url).netloc.lower(), urlsplit(config.members_url).netloc.lower()} - {""}
    hosts |= {f"www.{host}" for host in hosts} | {host.removeprefix("www.") for host in hosts}
    root = base_path(config)
    paths = set()
    for url in urls:
        if not url:
            continue
        try:
            parts = urlsplit(urljoin(here, url.strip()))
        except ValueError:  # no browser follows it (render and site.toml checks name it): it names no file
            continue
        if parts.scheme not in ("http", "https") or parts.netloc.lower() not in hosts:
            continue
        path = posixpath.normpath("/" + unquote(parts.path).lstrip("/"))
        inside = root and (path == root or path.startswith(root + "/"))
        paths.add(posixpath.normpath("/" + path[len(root):].lstrip("/")) if inside else path)
    return paths
