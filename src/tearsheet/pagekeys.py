"""What a page's HTML depends on, digested: so an unchanged page is neither rendered nor written.

A page is a function of the code, the templates, the config, its tier, the asset names, its own
context and whatever else its templates read. Four kinds of reads are found as the page renders
(a "verifying trace": the reads are stored with the page and checked against the next build):

- the Site's fields (`site.posts` in a sidebar, `site.pages` in the nav);
- a post's body (`post.html`, `.text`, `.toc`, `.words`, `.links`): a list showing titles and
  summaries does not change when a body does;
- a post's card (`.summary`, `.reading_minutes`, `.cut`, and its public twin's summary, which
  `head_meta` shows): the archive, listing every post by title, does not change when a summary does;
- a term's posts (`term.posts`): a tag page shows its own ten posts, not the tag's hundreds.

Everything else in a context counts at once: a post by its front matter, a page by its source.
Templates see mirror copies of the Site's records whose lazy fields note each read; all else is the
record as is.

Contexts are made from the Site alone, so a build whose site key (the Site digested the same way, and
the build key) is the last build's need not key its pages again: each stored context key stands, and
only the reads are checked (see site_pages).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any

import jinja2
from jinja2.defaults import DEFAULT_NAMESPACE

from .cache import key_of
from .site import PageView, PostView, Site, Term
from .templates import PageSpec

# The template globals that page keys account for; a build with any other global renders every page.
KNOWN_GLOBALS = frozenset({"site", "config", "tier", "paywall", "root", "asset", "absolute", "head_meta",
                           "post_card"})
# Every field of a PostView or PageView comes from its post, its tier and the config; a new field might not.
# (base_path is the Site's, so in the build key through the config.)
POST_VIEW_FIELDS = ("title", "slug", "url", "date", "updated", "is_plus", "is_teaser", "cut", "tags", "series",
                    "authors", "description", "summary", "packed_html", "packed_text", "toc", "words",
                    "reading_minutes", "image", "links", "base_path", "draft", "series_part", "series_prev",
                    "series_next")
PAGE_VIEW_FIELDS = ("title", "slug", "url", "description", "packed_html", "packed_text", "image", "updated", "links",
                    "base_path")
BODY_FIELDS = ("packed_html", "packed_text", "toc", "words", "links")  # `html` and `text` read the packed ones
CARD_FIELDS = ("summary", "reading_minutes", "cut")  # what a body edit may change besides the body
SITE_MADE = ("tags", "series", "authors", "series_prev", "series_next")  # of a view, from other posts too
SITE_FIELDS = tuple(f.name for f in dataclasses.fields(Site))

Read = tuple[str, ...]  # ("site", field), ("body", post URL), ("card", post URL) or ("term", kind, slug)
_PLAIN = frozenset({int, float, bool, dt.datetime, dt.date})
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _fields(record: Any) -> tuple[str, ...]:
    kind = type(record)
    if kind not in _FIELD_NAMES:
        _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(record))
    return _FIELD_NAMES[kind]


def _hash(*parts: str) -> str:
    """A short digest of texts (each quoted, so that no two lists of texts spell the same)."""
    return hashlib.blake2b(",".join(map(repr, parts)).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class Uncacheable(Exception):
    """A page input the keys cannot account for: such a page is always rendered."""


def pages_cacheable(env: jinja2.Environment, globals_: dict[str, Any]) -> bool:
    """Whether page keys account for every name a template can reach besides its context."""
    return (set(globals_) <= KNOWN_GLOBALS and set(env.globals) <= set(DEFAULT_NAMESPACE)
            and tuple(f.name for f in dataclasses.fields(PostView)) == POST_VIEW_FIELDS
            and tuple(f.name for f in dataclasses.fields(PageView)) == PAGE_VIEW_FIELDS)


# Records that note their lazy reads

def _lazy(base: type, name: str, read: Any) -> property:
    """A property standing in for a slot of `base`: it notes read(self) and returns the slot's value."""
    slot = base.__dict__[name]

    def get(self: Any) -> Any:
        self._reads.add(read(self))
        return slot.__get__(self, type(self))

    return property(get)


class _View(PostView):
    __slots__ = ("_reads",)


class _Term(Term):
    __slots__ = ("_reads",)


class _Site(Site):
    __slots__ = ("_mirror", "_reads")


for _mirror_class, _base in ((_View, PostView), (_Term, Term), (_Site, Site)):
    # printed as the records they stand for: a template that prints a whole record (its repr) shows the same
    _mirror_class.__name__, _mirror_class.__qualname__ = _base.__name__, _base.__qualname__
for _name in BODY_FIELDS:
    setattr(_View, _name, _lazy(PostView, _name, lambda view: ("body", PostView.__dict__["url"].__get__(view))))
for _name in CARD_FIELDS:
    setattr(_View, _name, _lazy(PostView, _name, lambda view: ("card", PostView.__dict__["url"].__get__(view))))
_Term.posts = _lazy(Term, "posts", lambda term: ("term", Term.__dict__["kind"].__get__(term),  # type: ignore[assignment,misc]
                                                 Term.__dict__["slug"].__get__(term)))


def _site_field(name: str) -> property:
    """A Site field of the mirror's site: noted as read, and given as mirror records (made when first read)."""
    slot = Site.__dict__[name]

    def get(self: Any) -> Any:
        self._reads.add(("site", name))
        return self._mirror.of(slot.__get__(self, type(self)))

    return property(get)


for _name in SITE_FIELDS:
    setattr(_Site, _name, _site_field(_name))


def _copy(cls: type, base: type, record: Any, reads: set[Read], **changes: Any) -> Any:
    twin = object.__new__(cls)
    for name in _fields(record):
        base.__dict__[name].__set__(twin, changes[name] if name in changes else getattr(record, name))
    object.__setattr__(twin, "_reads", reads)
    return twin


class Mirror:
    """A Site whose posts, terms and own fields note what each page reads of them.

    Its records are made as they are reached (from `site`'s fields, or a page's context through
    `spec`), not all at once: a build that renders a few pages mirrors only what those pages show.
    """

    def __init__(self, site: Site) -> None:
        self.reads: set[Read] = set()
        self._made: dict[int, tuple[Any, Any]] = {}  # id(record) -> (record, its mirror record)
        self.site: Site = _copy(_Site, Site, site, self.reads)
        object.__setattr__(self.site, "_mirror", self)

    def start_page(self) -> None:
        self.reads.clear()

    def spec(self, spec: PageSpec) -> PageSpec:
        """The page with its context made of mirror records."""
        return dataclasses.replace(spec, context={name: self.of(value) for name, value in spec.context.items()})

    def of(self, value: Any) -> Any:
        """A value with each post view and term in it replaced by its mirror record."""
        kind = type(value)
        if kind is str or value is None or kind in _PLAIN or kind is _View or kind is _Term:
            return value
        made = self._made.get(id(value))
        if made is not None and made[0] is value:
            return made[1]
        if kind is PostView:
            twin = _copy(_View, PostView, value, self.reads)
        elif kind is Term:
            twin = _copy(_Term, Term, value, self.reads, posts=self.of(value.posts))
        elif kind is tuple or kind is list:
            twin = kind(self.of(item) for item in value)
        elif kind is dict:
            twin = {key: self.of(item) for key, item in value.items()}
        elif hasattr(kind, "__dataclass_fields__") and kind is not PageView and not isinstance(value, Site):
            changes = {name: self.of(getattr(value, name)) for name in _fields(value)}
            changed = {name: item for name, item in changes.items() if item is not getattr(value, name)}
            twin = dataclasses.replace(value, **changed) if changed else value
        else:
            twin = value
        self._made[id(value)] = (value, twin)
        return twin


# Keys

class PageKeys:
    """Keys for the pages of one tier's Site (see the module's docstring for what counts)."""

    def __init__(self, build_key: str, site: Site, public: Site, sources: dict[str, tuple[str, str]]) -> None:
        self.build_key = build_key
        self.site = site
        self.sources = sources  # {post or page URL: (digest of its front matter, key of its body)}
        self.twin_summary = {view.url: view.summary for view in public.posts}
        self.views = {view.url: view for view in site.posts}
        self.terms = {(t.kind, t.slug): t for t in (*site.tags, *site.series, *site.authors)}
        self._memo: dict[int, tuple[Any, str]] = {}  # holds each record, so that its id is not reused
        self._reads: dict[Read, str] = {}
        self._spelt: dict[int, tuple[Any, str]] = {}  # id(Link) -> (the Link, held so its id is not reused; its text)

    def context_key(self, spec: PageSpec) -> str | None:
        """A digest of the page's own inputs; None when they hold something keys cannot account for."""
        try:
            return key_of(self.build_key, spec.path, spec.template, self._digest(spec.context))
        except Uncacheable:
            return None

    def site_key(self) -> str | None:
        """A digest of everything page contexts are made from: the build key and the Site as the keys see
        it (posts by their cards, terms with their posts). When it is the last build's, so is every page's
        context key (page_specs makes the contexts from the Site alone). None: the Site holds something
        the keys cannot account for.
        """
        parts = [self.read_digest(("site", name)) for name in SITE_FIELDS]  # noted: pages read them too
        parts += [self.read_digest(("term", *term)) for term in self.terms]
        return None if "unknown" in parts else key_of(self.build_key, *parts)

    def inputs_key(self) -> str:
        """A digest of what the Site as the keys see it is made from: the build key, its files under
        content/, and in order each post's front matter and each page's front matter and body (`sources`).

        Every part of the site key, and every ("site", ...) and ("term", ...) read, is a function of
        these: a post counts by its front matter and what other posts' front matter makes of it (its
        series place, its terms' links), a page by its sources, a term by its name, address, bio and
        posts, a year or month by its posts; a post's body and card are reads of their own. So when
        it is the last build's, so are they, and they need not be made again (see parallel._changed_reads:
        40-60 ms a tier at 4,000 posts)."""
        try:
            posts = [f"{view.url}\x00{self._source(view.url)[0]}" for view in self.site.posts]
            pages = [page.url + "\x00" + "\x00".join(self._source(page.url)) for page in self.site.pages]
        except Uncacheable:
            return ""
        return key_of(self.build_key, repr(self.site.assets), *posts, "\x01", *pages)

    def full_key(self, context: str, reads: Iterable[Read]) -> str:
        """The context key together with the current digest of each thing the page read."""
        return key_of(context, *(f"{'/'.join(read)}={self.read_digest(read)}" for read in reads))

    def assume(self, read: Read, digest: str) -> None:
        """Take a read's digest as known (stored by the last build, its inputs as they were) rather than make it."""
        self._reads[read] = digest

    def read_digest(self, read: Read) -> str:
        if read not in self._reads:
            self._reads[read] = self._read_digest(read)
        return self._reads[read]

    def _read_digest(self, read: Read) -> str:
        try:
            if read[0] == "site" and read[1] in SITE_FIELDS:
                return self._digest(getattr(self.site, read[1]))
            if read[0] == "card" and read[1] in self.views:
                view = self.views[read[1]]
                return _hash("card", view.summary, str(view.reading_minutes), str(view.cut),
                             self.twin_summary.get(view.url, ""))
            if read[0] == "body" and read[1] in self.sources:
                return self.sources[read[1]][1]
            if read[0] == "term" and read[1:] in self.terms:
                return self._digest(self.terms[read[1:]].posts)  # type: ignore[index]
        except Uncacheable:
            pass
        return "unknown"  # never the digest a page was stored with: the page renders again

    def _digest(self, value: Any) -> str:
        """An unambiguous text for a value: records as the digest of their fields, the rest spelt out."""
        kind = type(value)
        if kind is str or value is None or kind in _PLAIN:
            return repr(value)
        if kind is tuple or kind is list:
            return "(" + ",".join([self._digest(item) for item in value]) + ")"
        if kind is dict:
            return "{" + ",".join([f"{k!r}:{self._digest(v)}" for k, v in sorted(value.items())]) + "}"
        if hasattr(kind, "__dataclass_fields__"):
            return self._record(value)
        raise Uncacheable(kind.__name__)

    def _record(self, value: Any) -> str:
        memo = self._memo.get(id(value))
        if memo is not None:
            return memo[1]
        if isinstance(value, PostView):
            digest = self._card(value)
        elif isinstance(value, PageView):
            digest = _hash("page", *self._source(value.url))
        elif isinstance(value, Term):  # its posts count only when read
            digest = _hash("term", value.kind, value.name, value.slug, value.url, value.bio)
        elif isinstance(value, Site):
            raise Uncacheable("Site")
        else:  # Pager, Year, Month, Link, ...: field by field
            digest = _hash(type(value).__name__, *(self._digest(getattr(value, name)) for name in _fields(value)))
        self._memo[id(value)] = (value, digest)
        return digest

    def _card(self, view: PostView) -> str:
        """What a post's view shows besides its body and its card (each counted when read): its front matter,
        and what the rest of the site makes of it: its place in its series, the links of its tags, series and
        authors (a tag spelt two ways shows as the site first spelt it)."""
        meta, _ = self._source(view.url)
        return _hash("post", meta, str(view.series_part), self._links_spelt(view))

    def _links_spelt(self, view: PostView) -> str:
        """The SITE_MADE links of a view, spelt out: each Link (shared across the site's views) spelt once."""
        spelt = []
        for name in SITE_MADE:
            value = getattr(view, name)
            for link in value if type(value) is tuple else (value,):
                known = self._spelt.get(id(link))
                if known is None:
                    text = "-" if link is None else f"{link.name}\x00{link.slug}\x00{link.url}"
                    known = self._spelt[id(link)] = (link, text)
                spelt.append(known[1])
            spelt.append("|")  # where one field's links end
        return "\x01".join(spelt)

    def _source(self, url: str) -> tuple[str, str]:
        if url not in self.sources:
            raise Uncacheable(url)
        return self.sources[url]
