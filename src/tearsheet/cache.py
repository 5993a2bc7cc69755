"""The build cache in SITE/.tearsheet-cache/: front matter, rendered bodies, page keys, output bookkeeping.

- Front matter parsed before, keyed by the file's bytes, its path and the site settings.
- Rendered bodies (both editions of a post), keyed by the body's text, the post's tier and teaser,
  the Markdown settings and the code that renders them.
- For each page, the key of its inputs when it was last rendered and the digest of its bytes: a page
  whose inputs have not changed, and whose bytes the live output still holds, is neither rendered
  nor written.

Every file starts with a header naming the cache format and the code that wrote it (tearsheet's
version and a digest of its source files, Python's and the libraries' versions), then a checksum of
what follows. A file that is truncated, garbled or written by other code is ignored and written
anew: the cache can make a build faster, never different.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
import os
import pickle
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import jinja2
import jinja2.bccache

from . import __version__
from .checked import CHECKSUM_SIZE, read_checked_file, read_checked_mapped, write_checked_file
from .config import SiteConfig
from .content import Asset, SourcePost, parse_source
from .errors import SiteError
from .frontmatter import PostMeta
from .render import Heading, OpenFence, RenderedBody, RenderedPost, StrayMore
from .templates import THEME_DIR

if TYPE_CHECKING:
    from .audit_memory import AuditMemory

CACHE_DIR = ".tearsheet-cache"
MAGIC = b"tearsheet-cache 1\n"
SHARDS = 16
KEPT_WARNINGS = 4  # sets of body warnings kept, by the inputs of the build that gave them
LIBRARIES = ("markdown-it-py", "mdit-py-plugins", "jinja2", "markupsafe", "pyyaml", "feedgen")

BodyEntry = tuple[Any, ...]  # see _body_tuple
PageEntry = tuple[str, tuple[tuple[str, ...], ...], str, str]  # context key, reads, full key, digest of the bytes


@functools.cache
def code_version() -> str:
    """A digest of everything that decides what the build makes, besides the site itself."""
    versions = _installed_versions(LIBRARIES)
    parts: list[str | bytes] = [__version__, sys.version, *(f"{name}={versions[name]}" for name in LIBRARIES)]
    package = os.path.dirname(__file__)
    for name in sorted(os.listdir(package)):
        if name.endswith(".py"):
            with open(os.path.join(package, name), "rb") as handle:
                parts += [name, handle.read()]
    return key_of(*parts)


def _installed_versions(names: Iterable[str]) -> dict[str, str]:
    """{distribution name: its installed version ("none" if not installed)}, as importlib.metadata finds them.

    Read from the names of the *.dist-info and *.egg-info folders on sys.path, the first found winning;
    importlib.metadata answers any name that has none (it takes 20 ms to import: a one-edit build's 2%).
    """
    wanted = {_normalized(name): name for name in names}
    found: dict[str, str] = {}
    for folder in sys.path:
        try:
            entries = os.listdir(folder or ".")
        except OSError:
            continue
        for entry in entries:
            stem, dot, suffix = entry.rpartition(".")
            if not dot or suffix not in ("dist-info", "egg-info"):
                continue
            dist, _, version = stem.partition("-")
            name = wanted.get(_normalized(dist))
            if name is not None and name not in found and version:
                found[name] = version.split("-")[0]  # an egg's "1.0-py3.11"
    for name in wanted.values():
        if name not in found:
            from importlib import metadata

            try:
                found[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                found[name] = "none"
    return found


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def key_of(*parts: str | bytes) -> str:
    """A digest of the parts, each length-prefixed so that no two lists of parts share one."""
    chunks = [part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part for part in parts]
    framed = b"".join(len(chunk).to_bytes(8, "little") + chunk for chunk in chunks)  # one update: fewer calls
    return hashlib.blake2b(framed, digest_size=20).hexdigest()


def templates_digest(site_dir: str) -> str:
    """A digest of every template file, the site's and the theme's."""
    parts: list[str | bytes] = []
    for root in (os.path.join(site_dir, "templates"), os.path.join(THEME_DIR, "templates")):
        parts.append(root)
        for folder, dirs, names in os.walk(root):
            dirs.sort()
            for name in sorted(names):
                path = os.path.join(folder, name)
                if not os.path.isfile(path):  # a named pipe, say: no template, and reading it would wait
                    continue
                with open(path, "rb") as handle:
                    parts += [os.path.relpath(path, root), handle.read()]
    return key_of(*parts)


def inputs_key(site_dir: str, config: SiteConfig, sources: str, published: Iterable[str], assets: Iterable[Asset],
               static: Mapping[str, tuple[str, bytes]], pagefind: str | None) -> str:
    """A digest of everything a build reads: when the output was made from the same, it is left as it is.

    `sources` digests the posts' and pages' front matter (after access rules) and bodies; `published`
    names the posts the build publishes at its `now`. Assets count by size and time, like the output.
    """
    parts: list[str | bytes] = [code_version(), repr(config), templates_digest(site_dir), sources,
                                os.environ.get("SOURCE_DATE_EPOCH", ""), *sorted(published), "assets"]
    parts += [f"{a.url}\x00{_stat_text(a.source)}" for a in assets]
    parts += ["static", *(part for name, (url, data) in sorted(static.items()) for part in (name, url, data))]
    parts += ["pagefind", str(pagefind), _stat_text(pagefind) if pagefind else ""]
    return key_of(*parts)


def _stat_text(path: str) -> str:
    try:
        found = os.stat(path)
    except OSError:
        return "missing"
    return f"{found.st_size}:{found.st_mtime_ns}"


def clean_cache(site_dir: str) -> list[str]:
    """Remove the site's cache folder; return it if it was there."""
    folder = os.path.join(os.path.abspath(site_dir), CACHE_DIR)
    if not os.path.isdir(folder):
        return []
    shutil.rmtree(folder)
    return [folder]


# Files with a header and a checksum

def read_checked(path: str, kind: str) -> bytes | None:
    """The payload of a cache file, or None when it is missing, damaged, or not this code's."""
    payload = read_checked_view(path, kind)
    return None if payload is None else payload.tobytes()


def read_checked_view(path: str, kind: str) -> memoryview | None:
    """As read_checked, the payload seen in place in the file's bytes rather than copied out of them."""
    return read_checked_file(path, _header(kind))


def read_checked_mapped_view(path: str, kind: str) -> memoryview | None:
    """As read_checked_view, the payload mapped from the file (checked.read_checked_mapped)."""
    return read_checked_mapped(path, _header(kind))


def payload_offset(kind: str) -> int:
    """Where the payload of a cache file of this kind starts in the file."""
    return len(_header(kind)) + CHECKSUM_SIZE


def write_checked(path: str, kind: str, payload: bytes | memoryview, padding: int = 0) -> None:
    """Write a cache file whole or not at all (a large payload is written as it is, not copied), after
    `padding` zero bytes of the payload's own."""
    write_checked_file(path, _header(kind), payload, padding)


def _header(kind: str) -> bytes:
    return MAGIC + f"{kind} {code_version()}\n".encode()


def _loads_list(payload: bytes | None) -> list[str]:
    if payload is None:
        return []
    try:
        value = marshal.loads(payload)
    except Exception:  # a checksum-valid file that still does not load is ignored like any other
        return []
    return [key for key in value if isinstance(key, str)] if isinstance(value, list) else []


def _loads(payload: bytes | memoryview | None, load: Callable[[Any], Any]) -> dict[Any, Any]:
    if payload is None:
        return {}
    try:
        value = load(payload)
    except Exception:  # a checksum-valid file that still does not load is ignored like any other
        return {}
    return value if isinstance(value, dict) else {}


# The cache of one build

MAX_FEED_BODIES = 20_000  # about a post's size each: a site's feeds show some thousands, each kept twice

class BuildCache:
    """The cache as one build sees it: read lazily, written back once at the end.

    `one_build`: no other build will use it (not a preview server's), so the bodies are written back as
    soon as they are all rendered, and let go: the build holds them in its rendered posts.
    """

    def __init__(self, site_dir: str, one_build: bool = False, read_only: bool = False) -> None:
        self.folder = os.path.join(os.path.abspath(site_dir), CACHE_DIR)
        self.one_build = one_build
        self.read_only = read_only  # `tearsheet check`: take what the cache holds, write nothing back
        self._sources: SourceCache | None = None
        self._bodies: BodyCache | None = None
        self._pages: dict[str, PageCache] = {}
        self._audits: dict[str, AuditMemory] = {}
        self._warnings: dict[Any, Any] | None = None  # see _body_warnings
        self._feed_bodies: dict[str, dict[tuple[str, ...], str]] = {}

    def feed_bodies(self, tier: str) -> dict[tuple[str, ...], str]:
        """Feed items' bodies with absolute links, by (digest of the body, post URL), and as XML holds them, by
        (digest, URL, the subscribe prompt after a teaser): in memory only, for the builds and fast renders of
        one preview (see feeds.ItemContent). At most MAX_FEED_BODIES a tier."""
        bodies = self._feed_bodies.setdefault(tier, {})
        if len(bodies) > MAX_FEED_BODIES:
            bodies.clear()
        return bodies

    def sources(self, config: SiteConfig) -> SourceCache:
        if self._sources is None or self._sources.settings != key_of(repr(config)):
            self._sources = SourceCache(os.path.join(self.folder, "front-matter"), config)
        return self._sources

    def bodies(self) -> BodyCache:
        if self._bodies is None:
            self._bodies = BodyCache(os.path.join(self.folder, "bodies"))
        return self._bodies

    def pages(self, book_dir: str, tier: str) -> PageCache:
        """The page keys of one output folder's tier (a preview and a build each keep their own)."""
        path = os.path.join(book_dir, f"pages-{tier}")
        if path not in self._pages:
            self._pages[path] = PageCache(path)
        return self._pages[path]

    def audit(self, book_dir: str) -> AuditMemory:
        """The paywall audit's memory of one output folder's public tree (kept for the next build, see next_build)."""
        from .audit_memory import AuditMemory

        folder = os.path.join(book_dir, "audit")
        if folder not in self._audits:
            self._audits[folder] = AuditMemory(folder)
        return self._audits[folder]

    def knows_audits(self, book_dir: str) -> bool:
        """Whether an audit of this output folder has left a memory (see `audit`), without loading it."""
        folder = os.path.join(book_dir, "audit")
        return folder in self._audits or os.path.exists(os.path.join(folder, "index"))

    def audit_size(self, book_dir: str) -> int:
        """The bytes the audit's memory of this output folder takes on disk (0 when there is none)."""
        try:
            with os.scandir(os.path.join(book_dir, "audit")) as entries:
                return sum(entry.stat().st_size for entry in entries if entry.is_file())
        except OSError:
            return 0

    def templates(self) -> TemplateCodeCache:
        """Compiled templates, so a build does not compile them again."""
        return TemplateCodeCache(os.path.join(self.folder, "templates"), self.read_only)

    def body_warnings(self, inputs: str) -> tuple[str, ...] | None:
        """What the build with these inputs warned of in its bodies (see keep_body_warnings); None if not kept."""
        kept = self._body_warnings().get(inputs)
        if not isinstance(kept, list) or not all(isinstance(warning, str) for warning in kept):
            return None
        return tuple(kept)

    def keep_body_warnings(self, inputs: str, warnings: Iterable[str]) -> None:
        """Keep a build's warnings about its bodies, for a build with the same inputs that renders none."""
        kept, warnings = self._body_warnings(), list(warnings)
        if self.read_only or not inputs or (list(kept)[-1:] == [inputs] and kept[inputs] == warnings):
            return  # nothing to keep, or kept already: the file is not written again
        kept.pop(inputs, None)
        kept[inputs] = warnings
        recent = dict(list(kept.items())[-KEPT_WARNINGS:])  # a build's and a preview's, say
        write_checked(os.path.join(self.folder, "body-warnings"), "body-warnings", marshal.dumps(recent))
        self._warnings = recent

    def _body_warnings(self) -> dict[Any, Any]:
        """{inputs: body warnings} as kept, read once."""
        if self._warnings is None:
            self._warnings = _loads(read_checked(os.path.join(self.folder, "body-warnings"), "body-warnings"),
                                    marshal.loads)
        return self._warnings

    def book_dir(self, out_dir: str) -> str:
        """Where the writer keeps its manifest and spare trees for this output folder."""
        return os.path.join(self.folder, "output-" + key_of(os.path.abspath(out_dir))[:12])

    def save(self) -> None:
        if self.read_only:
            return
        for part in (self._sources, self._bodies, *self._pages.values()):
            if part is not None:
                part.save()

    def next_build(self) -> None:
        """Start another build from what this one holds in memory (a preview server's next rebuild).

        What was saved is what the next build finds, without reading it back from disk: every entry
        is keyed by the digest of its inputs, so one kept in memory is as good as one read again.
        """
        for part in (self._sources, self._bodies, *self._pages.values()):
            if part is not None:
                part.next_build()


def file_signature(path: str) -> tuple[int, ...] | None:
    """What tells a file apart from any other and from itself before a write: device, inode, size, modified
    and changed times (any write moves the changed time); None when it cannot be read. Symbolic links
    are followed, as reading the file follows them."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


FRESH_NS = 3_000_000_000  # a source modified less than this before a build is read again by the next (see _remember)
SourceEntry = tuple[PostMeta, int, int, str]  # front matter, line where the body starts, its offset, its digest


class SourceCache:
    """Front matter parsed before: a wrapper of content.parse_source with the same results.

    Sharded like the bodies: an edit rewrites the shards its old and new entries fall in, not all.
    It also knows each file's signature (device, inode, size, modified and changed times) as it was
    when last read: a file whose signature is the same is not read again (see recall).
    """

    def __init__(self, folder: str, config: SiteConfig) -> None:
        self.folder = folder
        self.settings = key_of(repr(config))
        self.shards = [_loads(read_checked_view(self._path(number), "sources"), pickle.loads)
                       for number in range(SHARDS)]
        self.old: dict[str, SourceEntry] = {key: entry for shard in self.shards for key, entry in shard.items()}
        self.new: dict[str, SourceEntry] = {}
        self.saved = self.old  # what the files hold
        # {content path: (signature, settings, kind, key)} of the files read or recalled
        self.old_files: dict[str, tuple[Any, ...]] = _loads(read_checked_view(self._files_path(), "source-files"),
                                                              marshal.loads)
        self.files: dict[str, tuple[Any, ...]] = {}
        self._signatures: dict[str, tuple[int, ...]] = {}  # taken by recall, before the file is read
        self._fresh_after = time.time_ns() - FRESH_NS  # a file modified since is not remembered (see _remember)

    def recall(self, file: str, path: str, kind: str) -> SourcePost | None:
        """The record of a file whose signature is as when it was last read, without reading it (its body
        is read only if it has to be rendered: with_body); None: the file must be read.

        The signature is taken before the file is read: a write after it moves the changed time, and the
        next build reads the file again. A change that keeps the signature (the same inode, size and
        both times, to the nanosecond) would take changing the system clock.
        """
        signature = file_signature(file)
        if signature is None:
            return None  # read_content reports it
        self._signatures[path] = signature
        known = self.old_files.get(path)
        if known is None or tuple(known[:3]) != (signature, self.settings, kind):
            return None
        hit = self.old.get(known[3])
        if hit is None:
            return None
        meta, body_line, offset, body_digest = hit
        self.new[known[3]] = hit
        self.files[path] = known
        return SourcePost(meta, "", body_line, body_digest, (file, offset))

    def parse(self, path: str, data: bytes, kind: str, config: SiteConfig) -> SourcePost:
        key = key_of(self.settings, path, kind, data)
        signature = self._signatures.pop(path, None)
        hit = self.old.get(key)
        if hit is not None:
            meta, body_line, offset, body_digest = hit
            self.new[key] = hit
            self._remember(path, signature, kind, key)
            return SourcePost(meta, _decoded(data)[offset:], body_line, body_digest)
        post = parse_source(path, data, kind, config)
        post = SourcePost(post.meta, post.body, post.body_line, key_of(post.body))
        text = _decoded(data)
        offset = len(text) - len(post.body)
        if offset >= 0 and text[offset:] == post.body:  # stored as where the body starts in the file's text
            self.new[key] = (post.meta, post.body_line, offset, post.body_digest)
            self._remember(path, signature, kind, key)
        return post

    def _remember(self, path: str, signature: tuple[int, ...] | None, kind: str, key: str) -> None:
        """Note the signature a file had when it was read, unless it was modified just before the build.

        Some file systems keep modified times to 2 s (FAT) or 10 ms (exFAT), and Windows's "changed" time
        is the creation time: two saves of the same size within one tick would look alike. A file modified
        that recently is read again next time, as git treats an index entry as recent as the index.
        """
        if signature is not None and signature[3] < self._fresh_after:
            self.files[path] = (signature, self.settings, kind, key)

    def save(self) -> None:
        if self.files != self.old_files:
            write_checked(self._files_path(), "source-files", marshal.dumps(self.files))
            self.old_files = self.files
        if not self.new or self.new.keys() == self.old.keys():
            return
        kept = dict(self.new)  # and what other settings (a preview's base_url) parsed, up to as many again
        for key, entry in self.old.items():
            if len(kept) >= 2 * len(self.new):
                break
            kept.setdefault(key, entry)
        if kept.keys() == self.old.keys():
            return
        shards: list[dict[str, SourceEntry]] = [{} for _ in range(SHARDS)]
        for key, entry in kept.items():
            shards[_shard_of(key)][key] = entry
        for number, entries in enumerate(shards):
            if entries.keys() != self.shards[number].keys():
                write_checked(self._path(number), "sources", pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL))
        self.shards, self.saved = shards, kept

    def next_build(self) -> None:
        self.old, self.new = self.saved, {}
        self.old_files, self.files, self._signatures = self.files, {}, {}
        self._fresh_after = time.time_ns() - FRESH_NS

    def _path(self, number: int) -> str:
        return os.path.join(self.folder, f"{number:02x}.pickle")

    def _files_path(self) -> str:
        return os.path.join(self.folder, "files")


def with_body(source: SourcePost) -> SourcePost:
    """A record whose body was not read (SourceCache.recall), with its body read now.

    The file is read again: one changed since the build first looked at it (being saved as the build
    runs) is an error to build again for, not a body to take with the front matter it no longer has.
    """
    if source.body_at is None:
        return source
    file, offset = source.body_at
    try:
        with open(file, "rb") as handle:
            body = _decoded(handle.read())[offset:]
    except (OSError, UnicodeDecodeError):
        body = None
    if body is None or key_of(body) != source.body_digest:
        raise SiteError.one(source.meta.path, None, "changed while the build was reading it",
                            "build again once it is saved")
    return SourcePost(source.meta, body, source.body_line, source.body_digest)


def _decoded(data: bytes) -> str:
    return data.decode("utf-8").removeprefix("\ufeff")


def body_key(raw_html: bool, meta: PostMeta, body_digest: str) -> str:
    """What render_post reads: the body, the tier and the teaser (for plus posts), the Markdown settings."""
    teaser = str(meta.teaser) if meta.tier == "plus" else ""
    return key_of("raw_html" if raw_html else "no_html", meta.tier, teaser, body_digest)


class BodyCache:
    """Both editions of each post's body, rendered before; sharded so an edit rewrites a sixteenth.

    An index of the keys held lets a build learn what it will not have to render without loading
    the bodies themselves (a build that turns out to change nothing never loads them).
    """

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.shards: dict[int, dict[str, BodyEntry]] = {}
        self.index: set[str] = set(_loads_list(read_checked(self._index_path(), "body-index")))
        self.used: set[str] = set()
        self.added: set[int] = set()
        self.consulted = False  # whether this build asked for any body (one that did not keeps all)

    def has(self, key: str) -> bool:
        """Whether the cache says it holds the key (get() may still find it missing or damaged)."""
        return key in self.index

    def get(self, key: str) -> BodyEntry | None:
        self.consulted = True
        entry = self._shard(key).get(key)
        if entry is not None:
            self.used.add(key)
        return entry

    def put(self, key: str, entry: BodyEntry) -> None:
        self.consulted = True
        self._shard(key)[key] = entry
        self.used.add(key)
        self.added.add(_shard_of(key))

    def save(self) -> None:
        if not self.consulted:
            return
        index = {key for key in self.index if _shard_of(key) not in self.shards}
        for number, entries in self.shards.items():
            stale = entries.keys() - self.used
            if number in self.added or len(stale) * 4 > len(entries):
                entries = {key: entry for key, entry in entries.items() if key in self.used}
                write_checked(self._path(number), "bodies", marshal.dumps(entries))
            index.update(entries)
        if index != self.index:
            write_checked(self._index_path(), "body-index", marshal.dumps(sorted(index)))
        self.index = index

    def save_and_let_go(self) -> None:
        """Save now and hold no shard: what a later get() needs is read again."""
        self.save()
        self.shards, self.used, self.added, self.consulted = {}, set(), set(), False

    def next_build(self) -> None:
        """Keep the shards read, as saved (entries this build did not use are gone from them too)."""
        self.shards = {number: {key: entry for key, entry in entries.items() if key in self.index}
                       for number, entries in self.shards.items()}
        self.used, self.added, self.consulted = set(), set(), False

    def _index_path(self) -> str:
        return os.path.join(self.folder, "index.marshal")

    def _shard(self, key: str) -> dict[str, BodyEntry]:
        number = _shard_of(key)
        if number not in self.shards:
            self.shards[number] = _loads(read_checked_view(self._path(number), "bodies"), marshal.loads)
        return self.shards[number]

    def _path(self, number: int) -> str:
        return os.path.join(self.folder, f"{number:02x}.marshal")


def _shard_of(key: str) -> int:
    return int(key[:2], 16) % SHARDS


def body_entry(post: RenderedPost) -> BodyEntry:
    """A rendered post's bodies as plain values (marshal stores them quickly and safely)."""
    public = None if post.public is post.full else _body_tuple(post.public)
    fence = None if post.open_fence is None else (post.open_fence.line, post.open_fence.more_line)
    stray = None if post.stray_more is None else (post.stray_more.line, post.stray_more.block_line,
                                                  post.stray_more.inside)
    return (_body_tuple(post.full), public, post.cut, fence, stray, post.notes)


def rendered_from(meta: PostMeta, entry: BodyEntry, body_key: str = "") -> RenderedPost:
    full_tuple, public_tuple, cut, fence, stray, notes = entry
    full = _body_from(full_tuple)
    return RenderedPost(meta, full, full if public_tuple is None else _body_from(public_tuple, full), cut,
                        None if fence is None else OpenFence(*fence), None if stray is None else StrayMore(*stray),
                        tuple(map(tuple, notes)), body_key)


def _body_tuple(body: RenderedBody) -> tuple[Any, ...]:
    return (body.packed_html, body.packed_text, body.lead, tuple((h.level, h.id, h.text) for h in body.toc), body.words,
            body.links)


def _body_from(values: tuple[Any, ...], full: RenderedBody | None = None) -> RenderedBody:
    """A body from its plain values; a public body shares what it has in common with its post's `full` body.

    A site's bodies link to the same few URLs (its images, its tags) again and again: each URL is held once.
    """
    packed_html, packed_text, lead, toc, words, links = values
    links = tuple(map(sys.intern, links))
    if full is not None:
        lead = full.lead if lead == full.lead else lead
        links = full.links if links == full.links else links
    return RenderedBody(packed_html, packed_text, lead, tuple(Heading(*h) for h in toc), words, links)


class PageCache:
    """{output path: (context key, what it read, full key, digest of its bytes)} of one tier's pages.

    With them, the site key they were keyed under and the digest of each thing they read (see
    PageKeys.site_key): a build under the same site key knows every context key already, and renders
    again only the pages that read something whose digest changed.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        stored = _loads(read_checked_view(path, "pages"), marshal.loads)
        self.old: dict[str, PageEntry] = _dict(stored.get("pages"))
        self.old_site: str = stored.get("site") if isinstance(stored.get("site"), str) else ""  # type: ignore[assignment]
        self.old_reads: dict[tuple[str, ...], str] = _dict(stored.get("reads"))
        self.old_inputs: str = stored.get("inputs") if isinstance(stored.get("inputs"), str) else ""  # type: ignore[assignment]
        self.new: dict[str, PageEntry] = {}
        self.site = ""  # the site key of this build's pages ("" for none)
        self.inputs = ""  # what the site key was made from (PageKeys.inputs_key), "" for none
        self.reads: dict[tuple[str, ...], str] = {}
        self.consulted = False  # whether this build looked any page up (one that did not keeps all)

    def lookup(self, path: str, context: str, full_key: Callable[[str, Iterable[tuple[str, ...]]], str]) -> str | None:
        """The digest of the page's bytes when it was rendered from these same inputs, else None."""
        self.consulted = True
        entry = self.old.get(path)
        if entry is None or entry[0] != context or full_key(context, entry[1]) != entry[2]:
            return None
        self.new[path] = entry
        return entry[3]

    def keep(self, path: str) -> str:
        """Keep a page as stored (its inputs known to be unchanged); the digest of its bytes."""
        self.consulted = True
        entry = self.new[path] = self.old[path]
        return entry[3]

    def store(self, path: str, context: str, reads: Iterable[tuple[str, ...]], full: str, digest: str) -> None:
        self.consulted = True
        self.new[path] = (context, tuple(sorted(reads)), full, digest)

    def save(self) -> None:
        if self.consulted and (self.new != self.old or self.site != self.old_site or self.reads != self.old_reads
                               or self.inputs != self.old_inputs):
            write_checked(self.path, "pages", marshal.dumps({"pages": self.new, "site": self.site,
                                                             "reads": self.reads, "inputs": self.inputs}))

    def next_build(self) -> None:
        if self.consulted:
            self.old, self.old_site, self.old_reads, self.old_inputs = self.new, self.site, self.reads, self.inputs
        self.new, self.site, self.reads, self.inputs, self.consulted = {}, "", {}, "", False


def _dict(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


class TemplateCodeCache(jinja2.BytecodeCache):
    """Jinja's compiled templates, each file checked like every other cache file (Jinja keys them by source)."""

    def __init__(self, folder: str, read_only: bool = False) -> None:
        self.folder = folder
        self.read_only = read_only

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = read_checked(os.path.join(self.folder, bucket.key), "template")
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if self.read_only:
            return
        write_checked(os.path.join(self.folder, bucket.key), "template", bucket.bytecode_to_string())
