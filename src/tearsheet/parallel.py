"""The build's two heavy stages spread over processes: Markdown bodies, then HTML pages.

Workers are forked, so they start with the parent's memory (the Markdown parser, the Jinja
environment, the assembled Sites) and only small tasks and results cross between processes. Bodies
are sent to the workers while content.py is still reading the rest, so reading overlaps rendering.
A build in a process with other threads (a preview server) stays in one process: forking a
threaded process can deadlock the child.

Ctrl-C is the parent's alone: workers are forked with SIGINT blocked and keep it so (a terminal
sends it to them too), and the parent ends them before the staging folder they write into goes.
"""

from __future__ import annotations

import collections
import contextlib
import gc
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.pool import AsyncResult, Pool
from typing import Any, TypeVar

import jinja2
from markdown_it import MarkdownIt

from .cache import (
    BodyCache,
    BodyEntry,
    BuildCache,
    PageCache,
    body_entry,
    body_key,
    key_of,
    rendered_from,
    templates_digest,
    with_body,
)
from .config import SiteConfig
from .content import SourceContent, SourcePost, parse_source
from .frontmatter import PostMeta
from .heap import trim_heap
from .markdown import make_markdown
from .output import FileData, KeepFile, Stage, StagedFile, Stat, digest_bytes, stage_file
from .pagekeys import Mirror, PageKeys, Read, pages_cacheable
from .render import RenderedPost, render_post
from .site import Site, page_url, post_url
from .templates import PageSpec, page_globals, page_specs, render_page

MIN_PARALLEL_BODIES = 32  # fewer bodies than this render in the parent: starting workers costs more
MIN_PARALLEL_PAGES = 48
BODY_CHUNK = 8
PAGE_CHUNK = 32
# Parts queued for each worker while the parent renders with them (map_on_workers' `share`). The
# pool's threads hand parts over only when the parent's rendering lets go of the GIL (every 5 ms), so a
# worker given two parts of 12 pages sat idle between them: template change at 4,000 posts, pages
# 2.9 s with 2 x 12, 2.1-2.2 s with 8 x 32 (and with 4 x 48, 16 x 48, 4 x 96) in alternating runs.
QUEUED_PER_WORKER = 8

Parse = Callable[[str, bytes, str, SiteConfig], SourcePost]
Recall = Callable[[str, str, str], SourcePost | None]  # (file, content path, kind): see SourceCache.recall
Progress = Callable[[str, int, int], None]  # (stage, done, total)
T = TypeVar("T")
R = TypeVar("R")


def default_jobs() -> int:
    """Every core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


# Worker pools

def start_pool(jobs: int, initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()) -> Pool:
    """Fork a pool of `jobs` workers with Ctrl-C held off until it is whole.

    A Ctrl-C landing mid-fork would otherwise be swallowed by Python's fork handlers (the build goes
    on), or leave a half-made pool that nothing ends: at exit its thread forks fresh workers that
    hang on the task queue forever, holding the terminal. One held off meanwhile ends the pool here.
    """
    held = signal.pthread_sigmask(signal.SIG_BLOCK, ())  # the mask as it is, to restore
    pool: Pool | None = None
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # the workers inherit this: Ctrl-C is ours
        trim_heap()
        gc.freeze()  # workers then leave the parent's objects alone when they collect: fewer pages copied on write
        try:
            pool = multiprocessing.get_context("fork").Pool(jobs, initializer, initargs)
        finally:
            gc.unfreeze()
        signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a Ctrl-C held off is raised here
        return pool
    except BaseException:
        if pool is not None:
            end_pool(pool)
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        raise


def end_pool(pool: Pool) -> None:
    """Stop the workers mid-task (after a failure or Ctrl-C) and wait for them to go."""
    pool.terminate()
    pool.join()


def map_on_workers(function: Callable[[T], R], parts: Sequence[T], jobs: int, share: bool = False) -> Iterator[R]:
    """function(part) for every part on `jobs` forked workers, in the order they finish.

    With `share`, on `jobs` processes rather: this one and jobs - 1 workers, for many small parts (a
    few dozen pages each). This process takes a part itself whenever each worker has QUEUED_PER_WORKER
    queued. A worker holds its own copy of every page of the parent's memory it touches (60-100 MB by
    the end of a build's pages), so one worker fewer is that much less memory for the same use of the
    cores: the parent would otherwise only wait.

    The workers are gone when this ends, however it ends: close the generator (contextlib.closing)
    when the loop over it may stop early, rather than leave that to the garbage collector.
    """
    share = share and jobs > 1
    pool = start_pool(jobs - 1 if share else jobs)
    try:
        yield from _shared(pool, function, parts, jobs - 1) if share else pool.imap_unordered(function, parts)
        pool.close()  # rather than terminate(), which can hang when it kills a worker holding the task queue
        pool.join()
    except BaseException:
        end_pool(pool)
        raise


def _shared(pool: Pool, function: Callable[[T], R], parts: Sequence[T], workers: int) -> Iterator[R]:
    waiting = collections.deque(parts)
    running: list[AsyncResult[R]] = []
    while waiting or running:
        while waiting and len(running) < QUEUED_PER_WORKER * workers:
            running.append(pool.apply_async(function, (waiting.popleft(),)))
        done = [result for result in running if result.ready()]
        for result in done:
            running.remove(result)
            yield result.get()
        if waiting:
            yield function(waiting.popleft())
        elif running and not done:
            running[0].wait()


MIN_SPREAD_ITEMS = 200  # run_tasks() does fewer items than this in this process: forking costs more
_spread_work: list[tuple[Callable[..., Any], Any]] = []  # handed to forked workers, as render_pages does
Task = tuple[Callable[[Sequence[Any], Any], Any], Sequence[Any], Any]  # (function, part, state)


def run_tasks(tasks: Sequence[Task], jobs: int) -> Iterator[tuple[int, Any]]:
    """(index, function(part, state)) for each task, on `jobs` forked workers that take the next task as
    they finish one, in the order they finish; in this process when jobs is 1 or there is little to do.

    Functions and states reach the workers by the fork; only a task's number goes down the queue.
    """
    if jobs <= 1 or sum(len(part) for _, part, _ in tasks) < MIN_SPREAD_ITEMS or not can_fork():
        for index, (function, part, state) in enumerate(tasks):
            yield index, function(part, state)
        return
    _spread_work[:] = list(tasks)
    try:
        with contextlib.closing(map_on_workers(_run_task, range(len(tasks)), jobs)) as results:
            yield from results
    finally:
        _spread_work.clear()


def _run_task(index: int) -> tuple[int, Any]:
    function, part, state = _spread_work[index]
    result = function(part, state)
    trim_heap()  # an audit task's garbage is megabytes in many pieces: a worker that kept it would double it
    return index, result


# Bodies

class BodyRenderer:
    """Renders every post's bodies once: from the cache, in the parent, or on forked workers.

    `parse` is the hook content.read_content calls for each file: it parses the front matter and
    queues the body at once, so workers render while the parent reads on.
    """

    def __init__(self, raw_html: bool, jobs: int, bodies: BodyCache | None = None, parse: Parse = parse_source,
                 progress: Progress | None = None, recall: Recall | None = None):
        self.raw_html = raw_html
        self.progress = progress
        self.jobs = jobs
        self.bodies = bodies
        self._parse_source = parse
        self._recall = recall
        self._md: MarkdownIt | None = None
        self._pool: Pool | None = None
        self._pending: list[tuple[str, SourcePost]] = []
        self._queued: set[str] = set()
        self._in_cache: dict[str, SourcePost] = {}  # bodies the cache holds, loaded when render() needs them
        self._sent: list[AsyncResult[list[tuple[str, BodyEntry]]]] = []
        self._done: dict[str, BodyEntry] = {}
        self._digests: dict[int, tuple[str, str]] = {}  # id(body) -> (body, digest): each text hashed once
        self._body_keys: dict[int, tuple[SourcePost, str]] = {}  # id(source) -> (source, its key)
        self._keys: dict[str, str] = {}  # {source path: body key} of what render() returned
        self._reprs: dict[int, tuple[PostMeta, str]] = {}  # id(meta) -> (meta, repr(meta))
        self.rendered = 0  # bodies rendered (not found in the cache) this build

    def __enter__(self) -> BodyRenderer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:  # only when something failed: terminate() can hang on a busy queue
            end_pool(self._pool)
            self._pool = None

    def parse(self, path: str, data: bytes, kind: str, config: SiteConfig) -> SourcePost:
        source = self._parse_source(path, data, kind, config)
        self._queue(source)
        return source

    def recall(self, file: str, path: str, kind: str) -> SourcePost | None:
        """The hook content.read_content calls before reading a file: its record, if the cache knows the file
        as it is (the body is read only if it has to be rendered)."""
        source = self._recall(file, path, kind) if self._recall is not None else None
        if source is not None:
            self._queue(source)
        return source

    def key(self, source: SourcePost) -> str:
        """The body-cache key of a post as it stands (its tier and teaser included)."""
        known = self._body_keys.get(id(source))
        if known is not None and known[0] is source:
            return known[1]
        digest = source.body_digest
        if not digest:
            found = self._digests.get(id(source.body))
            if found is None:
                found = self._digests[id(source.body)] = (source.body, key_of(source.body))
            digest = found[1]
        key = body_key(self.raw_html, source.meta, digest)
        self._body_keys[id(source)] = (source, key)
        return key

    def render(self, source: SourceContent) -> tuple[list[RenderedPost], list[RenderedPost]]:
        """Every post and page of `source` rendered (its tiers as access rules left them)."""
        for item in (*source.posts, *source.pages):
            self._queue(item)
        self._load_cached()
        if self._pool is not None:
            self._send()
            for number, result in enumerate(self._sent, 1):
                self._finish(result.get())
                if self.progress is not None:
                    self.progress("rendering posts", number, len(self._sent))
            self._pool.close()  # every result is in: let the workers finish rather than kill them
            self._pool.join()
            self._pool = None
        elif self._pending:
            md = self._markdown()
            self._finish([(key, body_entry(render_post(md, item))) for key, item in self._pending])
        self._pending, self._sent = [], []
        rendered = [self._rendered(p) for p in source.posts], [self._rendered(p) for p in source.pages]
        self._digests, self._body_keys = {}, {}  # they hold every Markdown body, needed no more
        self._done = {}  # the rendered posts hold what they need of them
        return rendered

    def _queue(self, source: SourcePost) -> None:
        key = self.key(source)
        if key in self._queued or key in self._done or key in self._in_cache:
            return
        if self.bodies is not None and self.bodies.has(key):
            self._in_cache[key] = source
            return
        self._pend(key, source)
        if self._pool is None and self.jobs > 1 and len(self._pending) >= MIN_PARALLEL_BODIES and can_fork():
            self._pool = start_pool(self.jobs, _start_body_worker, (self.raw_html,))
        if self._pool is not None and len(self._pending) >= BODY_CHUNK:
            self._send()

    def _load_cached(self) -> None:
        """Take the cached bodies; one the index promised but the cache lacks is rendered after all."""
        assert self.bodies is not None or not self._in_cache
        for key, source in self._in_cache.items():
            entry = self.bodies.get(key) if self.bodies is not None else None
            if entry is not None:
                self._done[key] = entry
            else:
                self._pend(key, source)
        self._in_cache = {}

    def _pend(self, key: str, source: SourcePost) -> None:
        """Queue a body to render, reading it first if the source cache left it unread."""
        self._queued.add(key)
        self._pending.append((key, with_body(source)))

    def _send(self) -> None:
        assert self._pool is not None
        for start in range(0, len(self._pending), BODY_CHUNK):
            self._sent.append(self._pool.apply_async(_render_bodies, (self._pending[start : start + BODY_CHUNK],)))
        self._pending = []

    def _finish(self, entries: Iterable[tuple[str, BodyEntry]]) -> None:
        for key, entry in entries:
            self._done[key] = entry
            self.rendered += 1
            if self.bodies is not None:
                self.bodies.put(key, entry)

    def _rendered(self, source: SourcePost) -> RenderedPost:
        key = self._keys[source.meta.path] = self.key(source)
        return rendered_from(source.meta, self._done[key], key)

    def sources_digest(self, source: SourceContent) -> str:
        """A digest of every post's and page's front matter (as access rules left it) and body."""
        return key_of(*(f"{self._spelt(item.meta)}\x00{self.key(item)}" for item in (*source.posts, *source.pages)))

    def digests(self, config: SiteConfig, posts: Iterable[RenderedPost],
                pages: Iterable[RenderedPost]) -> dict[str, tuple[str, str]]:
        """{URL: (digest of the front matter, key of the body)} of every post and page published."""
        found = {post_url(config, p.meta): (key_of(self._spelt(p.meta)), self._keys[p.meta.path]) for p in posts}
        found.update({page_url(config, p.meta): (key_of(self._spelt(p.meta)), self._keys[p.meta.path]) for p in pages})
        return found

    def _spelt(self, meta: PostMeta) -> str:
        """repr(meta), made once per record for sources_digest and digests (4,000 posts: 15 ms each time)."""
        known = self._reprs.get(id(meta))
        if known is None or known[0] is not meta:
            known = self._reprs[id(meta)] = (meta, repr(meta))
        return known[1]

    def _markdown(self) -> MarkdownIt:
        if self._md is None:
            self._md = make_markdown(self.raw_html)
        return self._md


_worker_markdown: list[MarkdownIt] = []  # one per worker process, made when the worker starts


def _start_body_worker(raw_html: bool) -> None:
    _worker_markdown[:] = [make_markdown(raw_html)]


def _render_bodies(batch: Sequence[tuple[str, SourcePost]]) -> list[tuple[str, BodyEntry]]:
    md = _worker_markdown[0]
    return [(key, body_entry(render_post(md, source))) for key, source in batch]


# Pages

@dataclass(frozen=True, slots=True)
class TierPages:
    """What rendering one tier's pages needs: templates, globals, and where the pages go."""

    env: jinja2.Environment
    globals_: dict[str, Any]  # "site" may be a Mirror's, to learn what each page reads
    mirror: Mirror | None
    site_dir: str
    root: str | None  # the staged tree to write into; None keeps the bytes in memory
    live: dict[str, str]  # {path: digest} the live output holds: such pages need no writing
    staged: dict[str, str]  # {path: digest} the staged tree holds already


@dataclass(frozen=True, slots=True)
class RenderedPage:
    tier: str
    path: str
    data: bytes | None  # None once written into the staged tree (or kept from the live output)
    digest: str
    stat: Stat | None  # of the file written; None when nothing was written
    kept: bool  # the live output holds these very bytes
    reads: tuple[Read, ...]  # what its templates read lazily (see pagekeys)


_page_work: list[tuple[dict[str, TierPages], list[tuple[str, PageSpec]]]] = []  # handed to forked workers


def render_pages(tiers: dict[str, TierPages], specs: list[tuple[str, PageSpec]], jobs: int) -> Iterator[RenderedPage]:
    """Render the pages, in the parent or on forked workers, writing each where its tier says."""
    if jobs <= 1 or len(specs) < MIN_PARALLEL_PAGES or not can_fork():
        yield from (_render_one(tiers, tier, spec) for tier, spec in specs)
        return
    chunks = [range(start, min(start + PAGE_CHUNK, len(specs))) for start in range(0, len(specs), PAGE_CHUNK)]
    try:
        _page_work[:] = [(tiers, specs)]
        with contextlib.closing(map_on_workers(_render_chunk, chunks, jobs, share=True)) as batches:
            for batch in batches:
                yield from batch
    finally:
        _page_work.clear()


def _render_chunk(indices: range) -> list[RenderedPage]:
    tiers, specs = _page_work[0]
    return [_render_one(tiers, *specs[i]) for i in indices]


def _render_one(tiers: dict[str, TierPages], tier: str, spec: PageSpec) -> RenderedPage:
    job = tiers[tier]
    if job.mirror is not None:
        job.mirror.start_page()
    data = render_page(job.env, spec, job.globals_, job.site_dir)
    reads = tuple(sorted(job.mirror.reads)) if job.mirror is not None else ()
    if job.root is None:
        return RenderedPage(tier, spec.path, data, "", None, False, reads)
    digest = digest_bytes(data)
    if job.live.get(spec.path) == digest:
        return RenderedPage(tier, spec.path, None, digest, None, True, reads)
    digest, stat = stage_file(job.root, spec.path, data, job.staged.get(spec.path), digest)
    return RenderedPage(tier, spec.path, None, digest, stat, False, reads)


def site_pages(env: jinja2.Environment, sites: dict[str, Site], site_dir: str, asset_urls: dict[str, str],
               jobs: int, stage: Stage | None = None, cache: BuildCache | None = None,
               sources: dict[str, tuple[str, str]] | None = None,
               progress: Progress | None = None,
               tiers: Sequence[str] | None = None) -> tuple[dict[str, dict[str, FileData]], int]:
    """Every HTML page of each tier (of `tiers` only, if given): kept from the live output when its inputs
    are unchanged, else rendered.

    Returns ({tier: {path: file}}, pages rendered). With a stage, rendered pages are written into it at
    once (their bytes never gather in memory); without one they come back as bytes. `sources` are the
    digests of the published posts and pages, for page keys (see pagekeys).
    """
    files: dict[str, dict[str, FileData]] = {tier: {} for tier in tiers or sites}
    jobs_by_tier: dict[str, TierPages] = {}
    keyed: dict[str, tuple[PageKeys, PageCache]] = {}
    todo: list[tuple[str, PageSpec]] = []
    contexts: dict[tuple[str, str], str | None] = {}
    for tier in files:
        site = sites[tier]
        globals_ = page_globals(site, asset_urls, sites["public"])
        live = stage.live(tier) if stage is not None else {}
        mirror = None
        changed: set[Read] | None = None  # with the site as the last build keyed it: the reads that changed
        if (stage is not None and stage.book_dir is not None and cache is not None and sources is not None
                and pages_cacheable(env, globals_)):
            build_key = key_of(templates_digest(site_dir), repr(site.config), repr(sorted(asset_urls.items())), tier)
            keyed[tier] = (PageKeys(build_key, site, sites["public"], sources), cache.pages(stage.book_dir, tier))
            changed = _changed_reads(*keyed[tier])
            mirror = Mirror(site)
            globals_ = {**globals_, "site": mirror.site}
        for spec in page_specs(site):  # a page to render gets mirror records for its context (Mirror.spec)
            entry = keyed[tier][1].old.get(spec.path) if changed is not None else None
            if entry is not None:  # its context key is as stored: it changed only if something it read did
                assert changed is not None
                if changed.isdisjoint(entry[1]) and live.get(spec.path) == entry[3]:
                    files[tier][spec.path] = KeepFile(keyed[tier][1].keep(spec.path))
                    continue
                contexts[(tier, spec.path)] = entry[0]
                todo.append((tier, mirror.spec(spec) if mirror is not None else spec))
                continue
            context = keyed[tier][0].context_key(spec) if tier in keyed else None
            if context is not None:
                keys, pages = keyed[tier]
                digest = pages.lookup(spec.path, context, keys.full_key)
                if digest is not None and live.get(spec.path) == digest:
                    files[tier][spec.path] = KeepFile(digest)
                    continue
            contexts[(tier, spec.path)] = context
            todo.append((tier, mirror.spec(spec) if mirror is not None else spec))
        jobs_by_tier[tier] = TierPages(env, globals_, mirror, site_dir, None, live, {})
    if todo and stage is not None:
        jobs_by_tier = {tier: TierPages(job.env, job.globals_, job.mirror, site_dir, stage.root(tier), job.live,
                                        stage.staged_digests(tier)) for tier, job in jobs_by_tier.items()}
    with contextlib.closing(render_pages(jobs_by_tier, todo, jobs)) as rendered:  # a Ctrl-C here ends the workers now
        for done, page in enumerate(rendered, 1):
            if progress is not None and done % 64 == 0:
                progress("rendering pages", done, len(todo))
            files[page.tier][page.path] = _page_file(page, stage)
            context = contexts[(page.tier, page.path)]
            if context is not None:
                keys, pages = keyed[page.tier]
                pages.store(page.path, context, page.reads, keys.full_key(context, page.reads), page.digest)
    for keys, pages in keyed.values():
        pages.reads = {read: keys.read_digest(read) for entry in pages.new.values() for read in entry[1]}
    return files, len(todo)


def _changed_reads(keys: PageKeys, pages: PageCache) -> set[Read] | None:
    """Note the site key on the page cache; when it is the one the stored pages were keyed under, the
    reads whose digest is not as stored (None: every page is keyed afresh).

    When the Site is made from what the stored one was (PageKeys.inputs_key), so is its key, and each
    site and term read is as stored: only bodies and cards are looked at again."""
    inputs = keys.inputs_key()
    if inputs and inputs == pages.old_inputs and pages.old_site:
        pages.site, pages.inputs = pages.old_site, inputs
        for read, digest in pages.old_reads.items():
            if read[0] in ("site", "term"):
                keys.assume(read, digest)
    else:
        pages.site = keys.site_key() or ""
        pages.inputs = inputs if pages.site else ""
    if not pages.site or pages.site != pages.old_site or not pages.old:
        return None
    if not all(read in pages.old_reads for entry in pages.old.values() for read in entry[1]):
        return None  # a cache that does not note every read it needs is not used
    changed = set()
    for read, digest in pages.old_reads.items():
        if read[0] == "card" and digest != "unknown" and _body_as_stored(keys, pages, read[1]):
            keys.assume(read, digest)  # a card is made of the post's front matter (in the site key) and body
        elif digest == "unknown" or keys.read_digest(read) != digest:
            changed.add(read)
    return changed


def _body_as_stored(keys: PageKeys, pages: PageCache, url: str) -> bool:
    stored = pages.old_reads.get(("body", url))
    return stored is not None and stored != "unknown" and keys.read_digest(("body", url)) == stored


def _page_file(page: RenderedPage, stage: Stage | None) -> FileData:
    if page.data is not None:
        return page.data
    if page.kept:
        return KeepFile(page.digest)
    assert stage is not None
    stage.record(page.tier, page.path, page.digest, page.stat)
    return StagedFile(page.digest)
