"""What search engines and social sites read: canonical links, OpenGraph/Twitter tags, JSON-LD,
sitemap.xml and robots.txt.

Every description and date of a plus post comes from the public Site (teasers only), in both builds.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass
from urllib.parse import urljoin

from .config import SiteConfig
from .feeds import feed_links
from .frontmatter import PostMeta
from .site import (
    PageView,
    PostView,
    Site,
    Term,
    absolute_url,
    address_of,
    alias_file,
    base_path,
    on_site,
    public_absolute_url,
    uri,
)

PAYWALLED_CLASS = "paywalled"  # the members build wraps a plus post's body in an element of this class
SCHEMA_CONTEXT = "https://schema.org"
# Inside <script> a JSON string must not close the element or open a comment: escape what could.
JSON_IN_HTML = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                              "\u2028": "\\u2028", "\u2029": "\\u2029"})


@dataclass(frozen=True, slots=True)
class FeedLink:
    type: str
    title: str
    href: str


@dataclass(frozen=True, slots=True)
class HeadMeta:
    """Everything partials/head_meta.html prints for one page."""

    canonical: str  # the public URL, in both builds (never members_url); "" for the 404 page
    title: str
    description: str
    og_type: str  # "article" or "website"
    image: str  # absolute, or ""
    published: str
    modified: str
    authors: tuple[str, ...]
    tags: tuple[str, ...]
    section: str
    feeds: tuple[FeedLink, ...]
    json_ld: str  # safe to place inside <script type="application/ld+json">, or ""

    @property
    def twitter_card(self) -> str:
        return "summary_large_image" if self.image else "summary"


class HeadMaker:
    """Builds the head of each page of one tier; `public` is the public Site, the only source of descriptions."""

    def __init__(self, site: Site, public: Site) -> None:
        self.site = site
        self.public_by_url = {p.url: p for p in public.posts}

    def head(self, page_path: str, post: PostView | None = None, page: PageView | None = None,
             term: Term | None = None, heading: str = "", intro: str = "") -> HeadMeta:
        site = self.site
        canonical = canonical_url(site, page_path)
        feeds = tuple(FeedLink(*link) for link in feed_links(site, term))
        if post is not None:
            return _post_head(site, self.description(post), post, canonical, feeds)
        if page is not None:
            return HeadMeta(canonical, page.title, page.description, "website",
                            _image(site, page.image, page.url), "", _iso(page.updated), (), (), "", feeds, "")
        config = site.config
        json_ld = ""
        if page_path == "index.html":
            json_ld = json_ld_text({"@context": SCHEMA_CONTEXT, "@type": "WebSite", "name": config.title,
                                    "url": canonical, "description": config.description})
        return HeadMeta(canonical, heading or config.title, intro or config.description, "website",
                        _image(site, "", f"{base_path(config)}/"), "", "", (), (), "", feeds, json_ld)

    def description(self, post: PostView) -> str:
        """The post's `description`, else the start of its public teaser: never member-only text."""
        if post.description:
            return post.description
        _noted = post.summary  # read through the page's own view: page keys note its card, the twin's summary in it
        shown = self.public_by_url.get(post.url)
        return (shown.summary if shown is not None else "") or self.site.config.description  # teaser: 0, say


def _post_head(site: Site, description: str, post: PostView, canonical: str,
               feeds: tuple[FeedLink, ...]) -> HeadMeta:
    image = _image(site, post.image, post.url)
    modified = post.updated or post.date
    publisher = {"@type": "Organization", "name": site.config.title,
                 "url": public_absolute_url(site.config, f"{base_path(site.config)}/")}
    data: dict[str, object] = {
        "@context": SCHEMA_CONTEXT,
        "@type": site.config.schema_type,
        "headline": post.title,
        "description": description,
        "url": canonical,
        "mainEntityOfPage": {"@type": "WebPage", "@id": canonical},
        "datePublished": _iso(post.date),
        "dateModified": _iso(modified),
        # an essay that names no author is the publication's
        "author": [{"@type": "Person", "name": a.name, "url": public_absolute_url(site.config, a.url)}
                   for a in post.authors] or [publisher],
        "publisher": publisher,
        "isAccessibleForFree": not post.is_plus,
    }
    if image:
        data["image"] = [image]
    if post.tags:
        data["keywords"] = [t.name for t in post.tags]
    if post.series:
        data["articleSection"] = post.series.name
    if post.is_plus and site.tier == "members":
        # Google's paywalled-content markup: the members page holds the paid section in this element.
        data["hasPart"] = {"@type": "WebPageElement", "isAccessibleForFree": False,
                           "cssSelector": f".{PAYWALLED_CLASS}"}
    return HeadMeta(canonical, post.title, description, "article", image, _iso(post.date), _iso(modified),
                    tuple(a.name for a in post.authors), tuple(t.name for t in post.tags),
                    post.series.name if post.series else "", feeds, json_ld_text(data))


def canonical_url(site: Site, page_path: str) -> str:
    """The absolute public URL of an output file; members pages point at their public twin (not members_url)."""
    if page_path == "404.html":
        return ""
    folder = page_path.removesuffix("index.html")
    return public_absolute_url(site.config, f"{base_path(site.config)}/{folder}")


def json_ld_text(data: dict[str, object]) -> str:
    """JSON that cannot end its <script> element or open an HTML comment, whatever the fields hold."""
    return json.dumps(data, ensure_ascii=False, indent=None, separators=(", ", ": ")).translate(JSON_IN_HTML)


def _image(site: Site, image: str, page_url: str) -> str:
    """og:image and JSON-LD image: on the public site, where social sites and search engines can fetch it.

    A page without an `image:` of its own gets site.toml's `image`, if any.
    """
    if not image and site.config.image:
        image, page_url = on_site(site.config, site.config.image), f"{base_path(site.config)}/"
    return urljoin(public_absolute_url(site.config, page_url), image) if image else ""


def _iso(value: dt.datetime | None) -> str:
    return value.isoformat() if value else ""


def sitemap_xml(site: Site) -> bytes:
    """sitemap.xml of the public build: home, posts, pages and topic lists, with lastmod."""
    root = base_path(site.config)
    entries: list[tuple[str, dt.datetime | None]] = [(f"{root}/", _newest(site.posts))]
    entries += [(p.url, p.updated or p.date) for p in site.posts]
    entries += [(p.url, p.updated) for p in site.pages]
    entries += [(t.url, _newest(t.posts)) for t in (*site.tags, *site.series, *site.authors)]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for url, lastmod in entries:
        loc = html.escape(uri(absolute_url(site, url)), quote=False)
        stamp = f"<lastmod>{lastmod.isoformat()}</lastmod>" if lastmod else ""
        lines.append(f"  <url><loc>{loc}</loc>{stamp}</url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _newest(posts: tuple[PostView, ...]) -> dt.datetime | None:
    return max((p.updated or p.date for p in posts), default=None)


def robots_txt(site: Site) -> bytes:
    """Public: crawl everything and find the sitemap. Members: crawl nothing."""
    if site.tier == "members":
        return b"User-agent: *\nDisallow: /\n"
    sitemap = absolute_url(site, f"{base_path(site.config)}/sitemap.xml")
    return f"User-agent: *\nAllow: /\n\nSitemap: {sitemap}\n".encode()


def search_engine_files(site: Site) -> dict[str, bytes]:
    """robots.txt in both builds, sitemap.xml in the public one."""
    files = {"robots.txt": robots_txt(site)}
    if site.tier == "public":
        files["sitemap.xml"] = sitemap_xml(site)
    return files


def redirect_pages(config: SiteConfig, metas: list[PostMeta]) -> list[tuple[str, dict[str, bytes]]]:
    """(source path, {output file: page}) of the redirects each post's or page's `aliases:` asks for.

    A redirect page holds the new address and nothing else (the same in both builds: each is served
    at its own host), like Hugo's aliases: it works on any static host, GitHub Pages included.
    """
    made = []
    for meta in metas:
        if not meta.aliases:
            continue
        target = address_of(config, meta)
        page = _redirect_page(config, target)
        made.append((meta.path, {alias_file(alias): page for alias in meta.aliases}))
    return made


def _redirect_page(config: SiteConfig, target: str) -> bytes:
    url, canonical = html.escape(target), html.escape(public_absolute_url(config, target))
    return (f'<!doctype html>\n<html lang="{html.escape(config.language)}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>Moved to {canonical}</title>\n"
            f'<link rel="canonical" href="{canonical}">\n<meta name="robots" content="noindex">\n'
            f'<meta http-equiv="refresh" content="0; url={url}">\n</head>\n<body>\n'
            f'<p>This page has moved to <a href="{url}">{canonical}</a>.</p>\n</body>\n</html>\n').encode()
