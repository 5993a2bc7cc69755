"""Site -> feed files: RSS 2.0 and Atom (feedgen) for the site and each tag, series and author,
and JSON Feed 1.1 for the site.

Every item of a plus post in the public build comes from the public Site, which holds teasers only.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from .config import source_date_epoch
from .output import digest_bytes
from .site import PostView, Site, Term, absolute_url, base_path, map_urls, public_absolute_url, uri

if TYPE_CHECKING:
    from feedgen.feed import FeedGenerator

RSS_FILE, ATOM_FILE, JSON_FILE = "rss.xml", "atom.xml", "feed.json"
ABSOLUTE_PREFIXES = ("https://", "http://", "mailto:")
SITE_FEED_DIR = "feeds/"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
# Characters XML 1.0 forbids; lxml refuses them, so they are dropped from feed text.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class ItemContent:
    """What a feed item shows of a post's body, made into HTML only when a feed is written.

    A feed is kept from the last build when its repr is the same (build.kept_feeds): this one's
    stands for the body by a digest, so a build that keeps its feeds neither rewrites the links of
    every body nor spells out every body to compare them.
    """

    shown: PostView = field(repr=False)  # the post as this tier's feeds show it (a teaser in the public build)
    digest: str  # of its body
    url: str  # the post's absolute URL in this tier, against which its links are made absolute
    prompt: str  # the subscribe prompt after a teaser, "" after a full body
    made: dict[tuple[str, ...], str] = field(repr=False, compare=False)  # shared by a tier's items

    def html(self) -> str:
        key = (self.digest, self.url)
        found = self.made.get(key)
        if found is None:
            found = self.made[key] = absolute_links(self.shown.html, self.url)
        return found + self.prompt

    def xml_html(self) -> str:
        """html() as XML may hold it (xml_text), made once for the RSS and Atom files of every feed showing it."""
        key = (self.digest, self.url, self.prompt)
        found = self.made.get(key)
        if found is None:
            found = self.made[key] = xml_text(self.html())
        return found


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One post as a feed shows it."""

    id: str  # the public permalink: the same in every build and both tiers
    url: str  # the post where this tier is deployed (members_url in the members build, when set)
    title: str
    published: dt.datetime
    updated: dt.datetime
    authors: tuple[tuple[str, str], ...]  # (name, absolute url)
    tags: tuple[str, ...]
    summary: str
    content: ItemContent | None  # None when the feed shows only title and link
    image: str = ""  # the post's social-card `image`, absolute; public in both tiers, like og:image

    def content_html(self) -> str:
        """The item's HTML content, links made absolute; "" when the feed shows only title and link."""
        return self.content.html() if self.content is not None else ""


@dataclass(frozen=True, slots=True)
class Feed:
    """One feed: its folder in the output, what it is about, and its items, newest first."""

    folder: str  # "feeds/", "tags/rates/", "feeds/<members token>/"
    title: str
    description: str
    home_url: str  # absolute URL of the page the feed follows
    items: tuple[FeedItem, ...]
    updated: dt.datetime
    with_json: bool


@dataclass(frozen=True, slots=True)
class FeedFile:
    """One feed file to write: everything its bytes are made from, but the site's settings."""

    path: str  # in the output: "feeds/rss.xml", "tags/rates/atom.xml"
    format: str  # "rss", "atom" or "json"
    self_url: str
    feed: Feed


def feed_files(site: Site, public: Site) -> dict[str, bytes]:
    """Every feed file of one tier; `public` is the public Site, the only source of teasers."""
    writer = FeedWriter(site)
    return {file.path: writer.bytes(file) for file in feed_sources(site, public)}


def feed_sources(site: Site, public: Site, showing: AbstractSet[str] | None = None,
                 bodies: dict[tuple[str, ...], str] | None = None) -> list[FeedFile]:
    """The feed files of one tier, each with the feed it shows; given `showing` (post URLs), only the
    feeds with an item for any of those posts. `bodies` keeps items' HTML from one call to the next
    (ItemContent.made: see cache.BuildCache.feed_bodies)."""
    files = []
    root = base_path(site.config)
    for feed in site_feeds(site, public, showing, bodies):
        url_of = uri(absolute_url(site, f"{root}/{feed.folder}"))  # members_url in the members build, when set
        for format_, name in (("rss", RSS_FILE), ("atom", ATOM_FILE), *((("json", JSON_FILE),) * feed.with_json)):
            files.append(FeedFile(feed.folder + name, format_, url_of + name, feed))
    return files


class FeedWriter:
    """Writes the feed files of one tier, in turn: a feed's RSS and Atom files, one after the other, share one
    feedgen generator and its entries (only the feed's own address differs between them)."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self._last: tuple[Feed, FeedGenerator] | None = None

    def bytes(self, file: FeedFile) -> bytes:
        if file.format == "json":
            return json_feed_bytes(file.feed, self.site, file.self_url)
        if self._last is not None and self._last[0] is file.feed:
            generator = self._last[1]
            _address(generator, file.feed, file.self_url)
        else:
            generator = _generator(file.feed, self.site, file.self_url)
            self._last = (file.feed, generator)
        return bytes(generator.rss_str(pretty=True) if file.format == "rss" else generator.atom_str(pretty=True))


def site_feeds(site: Site, public: Site, showing: AbstractSet[str] | None = None,
               bodies: dict[tuple[str, ...], str] | None = None) -> Iterator[Feed]:
    """The site feed, the members token feed (members build only), then one per tag, series and author;
    given `showing` (post URLs), only those with an item for any of these posts."""
    items = _Items(site, public, bodies)
    config = site.config
    description = config.description or config.title
    home = absolute_url(site, f"{base_path(config)}/")

    def wanted(posts: tuple[PostView, ...]) -> bool:
        return showing is None or any(post.url in showing for post in posts[: config.feeds.items])

    if wanted(site.posts):
        yield _feed(SITE_FEED_DIR, config.title, description, home, site.posts, items, with_json=True)
    if site.tier == "members" and config.feeds.members_token and wanted(site.posts):
        yield _feed(f"{SITE_FEED_DIR}{config.feeds.members_token}/", config.title, description, home,
                    site.posts, items, with_json=True)
    for term in (*site.tags, *site.series, *site.authors):
        if wanted(term.posts):
            yield _feed(term_feed_folder(site, term), f"{config.title}: {term.name}",
                        term.bio or f"{_KIND_WORDS[term.kind]} {term.name} in {config.title}",
                        uri(absolute_url(site, term.url)), term.posts, items, with_json=False)


_KIND_WORDS = {"tag": "Essays tagged", "series": "Essays of the series", "author": "Essays by"}


def term_feed_folder(site: Site, term: Term) -> str:
    """A term's feeds sit beside its list page: tags/rates/rss.xml."""
    root = base_path(site.config)
    path = term.url[len(root):] if root and term.url.startswith(root) else term.url
    return path.lstrip("/")


def _feed(folder: str, title: str, description: str, home: str, posts: tuple[PostView, ...],
          items: _Items, with_json: bool) -> Feed:
    chosen = tuple(items.item(p) for p in posts[: items.site.config.feeds.items])
    updated = max((i.updated for i in chosen), default=None) or _empty_feed_date()
    return Feed(folder, title, description, home, chosen, updated, with_json)


def _empty_feed_date() -> dt.datetime:
    """A feed with no posts is dated SOURCE_DATE_EPOCH, else 1970: never the clock."""
    return source_date_epoch() or dt.datetime.fromtimestamp(0, dt.UTC)


class _Items:
    """Builds each post's feed item once per tier, however many feeds show it."""

    def __init__(self, site: Site, public: Site, bodies: dict[tuple[str, ...], str] | None = None) -> None:
        self.site = site
        self.public_by_url = {p.url: p for p in public.posts}
        self.made: dict[str, FeedItem] = {}
        self.bodies = {} if bodies is None else bodies  # each body with absolute links, made once

    def item(self, post: PostView) -> FeedItem:
        if post.url not in self.made:
            self.made[post.url] = self._make(post)
        return self.made[post.url]

    def _make(self, post: PostView) -> FeedItem:
        site = self.site
        public_view = self.public_by_url.get(post.url)
        url = absolute_url(site, post.url)  # where this tier's reader reads it: members_url for members
        mode = item_mode(site, post)
        # The public build's Site holds teasers only; a members teaser feed borrows them from the public Site.
        shown = post if mode == "full" else public_view
        content = None
        if mode != "title" and shown is not None:
            prompt = subscribe_prompt_html(site, shown, url) if shown.is_teaser else ""
            digest = digest_bytes(shown.packed_html)  # the site's base path is in the feed's key (its config)
            content = ItemContent(shown, digest, url, prompt, self.bodies)
        summary = public_view.summary if public_view is not None and mode != "title" else ""
        return FeedItem(
            id=public_absolute_url(site.config, post.url), url=url, title=post.title, published=post.date,
            updated=post.updated or post.date,
            authors=tuple((a.name, absolute_url(site, a.url)) for a in post.authors),
            tags=tuple(t.name for t in post.tags), summary=summary, content=content,
            image=urljoin(url, post.image) if post.image else "",
        )


def item_mode(site: Site, post: PostView) -> str:
    """ "full", "teaser" or "title": what this tier's feeds carry of a post."""
    if not post.is_plus:
        return "full"
    feeds = site.config.feeds
    mode = feeds.public_plus if site.tier == "public" else feeds.members_plus
    # site.toml refuses public_plus = "full"; in the public Site a plus post's html is its teaser anyway.
    return "teaser" if site.tier == "public" and mode == "full" else mode


def subscribe_prompt_html(site: Site, post: PostView, url: str) -> str:
    """The paywall's words under a teaser, with links a feed reader can follow."""
    paywall = site.config.paywall
    parts = [f"<p><strong>{_esc(paywall.headline)}</strong></p>", f"<p>{_esc(paywall.pitch)}</p>"]
    parts += [f"<p>{_esc(text)}</p>" for text in (paywall.price, paywall.trial) if text]
    subscribe = urljoin(url, paywall.subscribe_url)
    parts.append(f'<p><a href="{_esc(subscribe)}">{_esc(paywall.subscribe_label)}</a> · '
                 f'<a href="{_esc(url)}">Continue reading \u201c{_esc(post.title)}\u201d</a></p>')
    return '<aside class="paywall">' + "".join(parts) + "</aside>"


def absolute_links(fragment: str, page_url: str) -> str:
    """Rewrite relative href/src/srcset in the tags of an HTML fragment against the page's absolute URL."""
    origin = page_url[: page_url.find("/", page_url.find("//") + 2)] if "//" in page_url else ""

    def absolute(url: str) -> str:
        if url.startswith(ABSOLUTE_PREFIXES):
            return url  # the common cases first: urljoin is slow
        if origin and url.startswith("/") and not url.startswith("//") and "/./" not in url and "/../" not in url:
            return origin + url
        return urljoin(page_url, url)

    return map_urls(fragment, absolute)


def xml_text(text: str) -> str:
    return NOT_XML.sub("", text)


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _generator(feed: Feed, site: Site, self_url: str) -> FeedGenerator:
    config = site.config
    from feedgen.feed import FeedGenerator  # here: a build whose feeds are all kept never loads it (nor lxml)

    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)
    fg.title(xml_text(feed.title))
    fg.description(xml_text(feed.description))
    _address(fg, feed, self_url)
    fg.language(config.language)
    fg.author({"name": xml_text(config.title)})  # Atom's, for an essay that names no author (RSS shows none)
    fg.generator("tearsheet")
    if config.copyright:
        fg.rights(xml_text(config.copyright))
    fg.updated(feed.updated)
    for item in feed.items:
        _add_entry(fg, item)
    return fg


def _add_entry(fg: FeedGenerator, item: FeedItem) -> None:
    entry = fg.add_entry(order="append")  # feedgen prepends by default; keep newest first
    entry.guid(xml_text(item.id), permalink=True)
    entry.title(xml_text(item.title))
    entry.link(href=xml_text(item.url), rel="alternate")
    entry.published(item.published)
    entry.updated(item.updated)
    if item.authors:
        entry.author([{"name": xml_text(name), "uri": xml_text(url)} for name, url in item.authors])
        for name, _url in item.authors:
            entry.dc.dc_creator(xml_text(name))
    if item.tags:
        entry.category([{"term": xml_text(tag)} for tag in item.tags])
    if item.summary:
        entry.summary(xml_text(item.summary))
    content = item.content.xml_html() if item.content is not None else ""
    if content:
        entry.content(content, type="html")


def _address(fg: FeedGenerator, feed: Feed, self_url: str) -> None:
    """The feed file's own address, as its id and self link, and the page it follows."""
    fg.id(xml_text(self_url))
    fg.link([{"href": xml_text(self_url), "rel": "self"},
             {"href": xml_text(feed.home_url), "rel": "alternate"}], replace=True)  # last: RSS's <link> is its


def json_feed_bytes(feed: Feed, site: Site, self_url: str) -> bytes:
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1): feedgen does not write it."""
    data = {
        "version": JSON_FEED_VERSION,
        "title": feed.title,
        "home_page_url": feed.home_url,
        "feed_url": self_url,
        "description": feed.description,
        "language": site.config.language,
        "items": [_json_item(item) for item in feed.items],
    }
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _json_item(item: FeedItem) -> dict[str, object]:
    data: dict[str, object] = {"id": item.id, "url": item.url, "title": item.title}
    # An item needs content_html or content_text; a title-only item carries just its link.
    data["content_html"] = item.content_html() or f'<p><a href="{_esc(item.url)}">{_esc(item.title)}</a></p>'
    if item.summary:
        data["summary"] = item.summary
    if item.image:
        data["image"] = item.image
    data["date_published"] = item.published.isoformat()
    data["date_modified"] = item.updated.isoformat()
    if item.authors:
        data["authors"] = [{"name": name, "url": url} for name, url in item.authors]
    if item.tags:
        data["tags"] = list(item.tags)
    return data


def feed_links(site: Site, term: Term | None = None) -> tuple[tuple[str, str, str], ...]:
    """(media type, title, root-relative href) for <link rel="alternate"> in a page head."""
    root = base_path(site.config)
    site_dir = f"{root}/{SITE_FEED_DIR}"
    links = [("application/rss+xml", f"{site.config.title} (RSS)", site_dir + RSS_FILE),
             ("application/atom+xml", f"{site.config.title} (Atom)", site_dir + ATOM_FILE),
             ("application/feed+json", f"{site.config.title} (JSON Feed)", site_dir + JSON_FILE)]
    if term is not None:
        folder = f"{root}/{term_feed_folder(site, term)}"
        links += [("application/rss+xml", f"{site.config.title}: {term.name} (RSS)", folder + RSS_FILE),
                  ("application/atom+xml", f"{site.config.title}: {term.name} (Atom)", folder + ATOM_FILE)]
    return tuple(links)
