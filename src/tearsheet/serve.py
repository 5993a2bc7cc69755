"""tearsheet serve: build into a preview folder, serve both tiers, rebuild on change, reload the browser.

The preview is built with the ordinary build into SITE_DIR/.tearsheet-preview/ (never output/), so a
preview never clobbers a deploy build. A failed rebuild keeps the last good build on the screen, under
an overlay that shows the same `path:line: message` the build command prints.
"""

from __future__ import annotations

import dataclasses
import errno
import gc
import os
import queue
import secrets
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from watchfiles import Change, DefaultFilter, watch

from .build import BuildOptions, BuildResult, SitePlan, build_now, build_site, count_of, left_out_note
from .cache import BuildCache
from .config import CONFIG_NAME
from .content import read_config
from .errors import SiteError
from .fast_render import FastRender, TierIndex, fast_render, index_site
from .livereload import MEMBERS_PREFIX
from .preview_http import LOCAL_HOSTS, WILDCARD_HOSTS, PreviewHTTPServer

PREVIEW_DIR = ".tearsheet-preview"
NEVER_WATCHED = ("output", PREVIEW_DIR, ".tearsheet-cache")
SOURCE_DIRS = ("content", "templates", "static")
WATCH_STEP_MS = 30  # a change is reported once nothing else changed for this long
TABS_RELOAD_PAUSE = 0.15  # seconds after a fast render for open tabs to reload before the full rebuild starts


@dataclass(frozen=True, slots=True)
class ServeOptions:
    site_dir: str = "."
    host: str = "127.0.0.1"
    port: int = 8000
    drafts: bool = False
    future: bool = False


@dataclass(frozen=True, slots=True)
class BuildStatus:
    """What the open pages need to know: which build they should show, and what is wrong, if anything."""

    version: int  # changes with every rebuild, good or bad
    build_id: str  # the last good build's name; a page from an older one reloads...
    error: str  # SiteError.report() of the last rebuild, "" when it succeeded
    built_at: float  # when the last good build finished (epoch seconds)
    previous: str = ""  # ...unless it is from this build...
    pages: tuple[str, ...] | None = None  # ...and its URL path is not among the pages this one changed (None: all)


def _silent(message: str) -> None:
    pass


class PreviewServer:
    """The preview's state: the last good build, the last error, and the pages waiting to hear of changes."""

    def __init__(self, root: str, build: Callable[[], object], log: Callable[[str], None] = _silent,
                 fast: Callable[[set[str]], FastRender | None] | None = None) -> None:
        self.root = root  # holds public/ and members/, written by `build` (and `fast`, a few pages at once)
        self._build = build
        self._fast = fast
        self._log = log
        self._run = secrets.token_hex(4)  # a restarted server's builds never match an old tab's
        self._builds = 0
        self._status = BuildStatus(0, f"{self._run}-0", "", 0.0)
        self._changed = threading.Condition()
        self._closed = False
        self.building = False
        self._notes: tuple[str, ...] = ()  # what the last build said beyond its time: said again only when it changes
        self._updated = False  # a fast render has updated pages since the last build

    @property
    def status(self) -> BuildStatus:
        return self._status

    def tier_root(self, tier: str) -> str:
        return os.path.join(self.root, tier)

    def fast_render(self, changed: set[str]) -> bool:
        """Put an edited post's own pages on screen at once, when its body alone changed (see fast_render)."""
        if self._fast is None or not self._builds or self._status.error:
            return False
        start = time.perf_counter()
        try:
            done = self._fast(changed)
        except Exception as exc:  # a bug of ours: say so; the full rebuild follows anyway
            self._log("".join(traceback.format_exception(exc)).rstrip())
            return False
        if done is None or not done.changed:
            return False
        milliseconds = (time.perf_counter() - start) * 1000
        self._log(f"Updated {', '.join(done.posts)} in {milliseconds:.0f} ms: {count_of(len(done.changed), 'file')} "
                  "(checking the whole site)")
        self._publish("", good=True, changed=done.changed)
        self._updated = True
        return True

    def rebuild(self, reason: str = "") -> bool:
        """Build once; tell every open page. A user mistake (or a bug of ours) never stops the server."""
        self.building = True
        updated, self._updated = self._updated, False
        start = time.perf_counter()
        try:
            result = self._build()
        except SiteError as exc:
            still = "the last good build" if self._builds else "this error"
            self._log(f"{_error_text(exc)}\n    (the preview shows {still} until you fix the file)")
            self._publish(exc.report(), good=False)
            return False
        except Exception as exc:  # a bug of ours: say so, keep serving
            self._log("".join(traceback.format_exception(exc)).rstrip())
            self._publish(f"internal error (a bug in tearsheet, please report it): {exc!r}", good=False)
            return False
        finally:
            self.building = False
        seconds = time.perf_counter() - start
        more = ""
        if updated and isinstance(result, BuildResult):  # what the fast update left to the rebuild
            more = f", {count_of(len(result.changed), 'more file')} updated" if result.changed else \
                ", nothing more to update"
        self._log(f"{'Rebuilt' if self._builds else 'Built'} in {seconds:.2f}s{f' ({reason})' if reason else ''}{more}")
        if isinstance(result, BuildResult):
            self._say_notes((left_out_note(result.left_out), *(f"warning: {w}" for w in result.warnings)))
        # open pages reload only when their page changed (a fast render may have shown the edit already)
        self._publish("", good=True, changed=result.changed if isinstance(result, BuildResult) else None)
        return True

    def _say_notes(self, notes: tuple[str, ...]) -> None:
        """The drafts and future posts left out, and the warnings: after the first build, and when they change."""
        notes = tuple(note for note in notes if note)
        if notes != self._notes:
            for note in notes:
                self._log(note)
            if not notes:
                self._log("No warnings now, and every post is built.")
        self._notes = notes

    def wait_for_change(self, seen_version: int, timeout: float) -> BuildStatus | None:
        """The status once its version differs from seen_version (or after timeout); None once closed."""
        with self._changed:
            if not self._closed and self._status.version == seen_version:
                self._changed.wait(timeout)
            return None if self._closed else self._status

    def close(self) -> None:
        """Let every waiting event stream finish."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def _publish(self, error: str, good: bool, changed: tuple[str, ...] | None = None) -> None:
        """Tell open pages of a build; `changed` ("tier/path" of the files it changed) lets the others stay."""
        with self._changed:
            old = self._status
            if not good or (changed == () and self._builds):
                self._status = dataclasses.replace(old, version=old.version + 1, error=error)
            else:
                self._builds += 1
                self._status = BuildStatus(old.version + 1, f"{self._run}-{self._builds}", error, time.time(),
                                           old.build_id, changed_pages(changed))
            self._changed.notify_all()


MAX_CHANGED_PAGES = 200  # beyond this many changed pages every open page just reloads
SHOWN_ON_THEIR_OWN = (".html", ".xml", ".json", ".txt")  # files no page loads: a change reloads their own tab only


def changed_pages(changed: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """The URL paths, as the preview serves them, of the pages among changed files; None: every page.

    Pages, feeds and other files a tab can show count for themselves; a change to anything pages load
    (a stylesheet, a script, an image) counts for every page.
    """
    if changed is None or len(changed) > MAX_CHANGED_PAGES:
        return None
    pages = []
    for name in changed:
        tier, _, path = name.partition("/")
        if not path.endswith(SHOWN_ON_THEIR_OWN):
            return None
        url = "/" + path.removesuffix("index.html")
        pages.append(MEMBERS_PREFIX + url if tier == "members" else url)
    return tuple(sorted(pages))


def _error_text(exc: SiteError) -> str:
    """The same text `tearsheet build` prints for the error."""
    return f"error: {exc.report()}" if len(exc.problems) == 1 else exc.report()


class SourceFilter(DefaultFilter):
    """Pass changes to site.toml, content/, templates/ and static/; never to output or cache folders."""

    def __init__(self, site_dir: str) -> None:
        self.config_path = os.path.join(site_dir, CONFIG_NAME)
        self.source_dirs = tuple(os.path.join(site_dir, name) for name in SOURCE_DIRS)
        super().__init__(ignore_paths=[os.path.join(site_dir, name) for name in NEVER_WATCHED])

    def __call__(self, change: Change, path: str) -> bool:
        if not super().__call__(change, path):
            return False
        return path == self.config_path or any(path == d or path.startswith(d + os.sep) for d in self.source_dirs)


class _Either:
    """Set when either event is: a watcher stops for good, or to start again on other folders."""

    def __init__(self, *events: threading.Event) -> None:
        self.events = events

    def is_set(self) -> bool:
        return any(event.is_set() for event in self.events)


class SourceWatcher:
    """Watch the site's sources and queue the paths that changed.

    Only the source folders are watched recursively (not the whole site folder, which may hold a
    virtualenv, .git and output/); the site folder itself is watched flat, for site.toml and for a
    templates/ or static/ folder that appears later.
    """

    def __init__(self, site_dir: str) -> None:
        self.site_dir = site_dir
        self.filter = SourceFilter(site_dir)
        self.changes: queue.Queue[set[str]] = queue.Queue()
        self._stop = threading.Event()
        self._folders_changed = threading.Event()
        self._threads = [threading.Thread(target=self._watch_site_folder, daemon=True, name="watch-site"),
                         threading.Thread(target=self._watch_sources, daemon=True, name="watch-sources")]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=2)

    def next_batch(self, stop: threading.Event) -> set[str] | None:
        """Wait for a change, then take whatever else changed meanwhile; None once `stop` is set."""
        while not stop.is_set():
            try:
                batch = self.changes.get(timeout=0.2)
            except queue.Empty:
                continue
            while not self.changes.empty():
                batch |= self.changes.get_nowait()
            return batch
        return None

    def _watch_site_folder(self) -> None:
        for changes in self._watch([self.site_dir], recursive=False, until=self._stop):
            paths = {path for _, path in changes}
            if paths & set(self.filter.source_dirs):
                self._folders_changed.set()
            self.changes.put(paths)

    def _watch_sources(self) -> None:
        while not self._stop.is_set():
            self._folders_changed.clear()
            folders = [d for d in self.filter.source_dirs if os.path.isdir(d)]
            if not folders:
                self._stop.wait(0.2)
                continue
            for changes in self._watch(folders, recursive=True, until=_Either(self._stop, self._folders_changed)):
                self.changes.put({path for _, path in changes})

    def _watch(self, paths: list[str], recursive: bool, until: threading.Event | _Either) -> Iterable[set]:  # type: ignore[type-arg]
        try:
            yield from watch(*paths, watch_filter=self.filter, recursive=recursive, stop_event=until,
                             step=WATCH_STEP_MS, raise_interrupt=False, ignore_permission_denied=True)
        except (OSError, RuntimeError):  # a watched folder vanished: start over on what exists now
            self._stop.wait(0.2)


def serve(options: ServeOptions, log: Callable[[str], None], ready: Callable[[str], None] | None = None,
          stop: threading.Event | None = None) -> None:
    """Build, serve and rebuild on change until Ctrl-C (or until `stop` is set)."""
    site_dir = os.path.abspath(options.site_dir)
    if not os.path.isfile(os.path.join(site_dir, CONFIG_NAME)):
        read_config(site_dir)  # raises the usual "not a tearsheet site" error
    httpd = open_http_server(options.host, options.port)
    url = f"http://{display_host(httpd.bound_host)}:{httpd.server_port}"
    build = BuildOptions(site_dir=site_dir, out_dir=os.path.join(site_dir, PREVIEW_DIR), drafts=options.drafts,
                         future=options.future, base_url=url, members_url="")  # members under /_members/ here
    builder = PreviewBuilder(build)
    preview = httpd.preview = PreviewServer(build.out_dir or "", builder.build, log, builder.fast_render)
    watcher = SourceWatcher(site_dir)
    http_thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    stop = stop or threading.Event()
    try:
        watcher.start()
        preview.rebuild()
        http_thread.start()
        _announce(log, options.host, url)
        if ready is not None:
            ready(url)
        while (changed := watcher.next_batch(stop)) is not None:
            if preview.fast_render(changed):
                stop.wait(TABS_RELOAD_PAUSE)
            preview.rebuild(_describe(changed, site_dir))
    finally:
        watcher.stop()
        preview.close()
        if http_thread.is_alive():
            httpd.shutdown()
        httpd.server_close()


class PreviewBuilder:
    """The preview's builds, keeping the last good one's plan for the fast render of the next edit."""

    def __init__(self, options: BuildOptions) -> None:
        self.options = dataclasses.replace(options, keep_plan=True)
        self.out_dir = options.out_dir or os.path.join(options.site_dir, "output")
        self.cache = BuildCache(options.site_dir)  # kept in memory from one build to the next
        self.book_dir = self.cache.book_dir(self.out_dir)
        self._plan: SitePlan | None = None
        self._index: dict[str, TierIndex] | None = None
        self._indexing: threading.Thread | None = None  # makes the index after a build, while the author reads

    def build(self) -> BuildResult:
        self._wait_for_index()
        self._plan = self._index = None  # a failed build leaves nothing to render fast with
        gc.unfreeze()
        self.cache.next_build()  # nothing to carry over before the first build
        result = build_site(self.options, self.cache)
        self._plan = result.plan
        self._indexing = threading.Thread(target=self._make_index, name="page index", daemon=True)
        self._indexing.start()
        gc.freeze()  # the plan's million objects stay until the next build: collections need not walk them
        return dataclasses.replace(result, plan=None)

    def fast_render(self, changed: set[str]) -> FastRender | None:
        self._wait_for_index()
        if self._plan is None:
            return None
        return fast_render(self._plan, self.options.site_dir, self.out_dir, self.book_dir, changed,
                           build_now(self.options), self._index, self.cache.feed_bodies)

    def _wait_for_index(self) -> None:
        if self._indexing is not None:
            self._indexing.join()
            self._indexing = None

    def _make_index(self) -> None:
        """Where the pages just built show each post (see fast_render.index_site); left None when not known."""
        if self._plan is None or not self._plan.sites:
            return
        index = {}
        for tier, site in self._plan.sites.items():
            pages = self.cache.pages(self.book_dir, tier)
            tier_index = index_site(site, pages.new if pages.consulted else pages.old)
            if tier_index is None:
                return
            index[tier] = tier_index
        self._index = index
        gc.freeze()  # with the plan: kept until the next build, never garbage


def open_http_server(host: str, port: int) -> PreviewHTTPServer:
    """Bind the port, turning the usual failures into a message that says what to do."""
    try:
        return PreviewHTTPServer((host, port))
    except OSError as exc:
        raise _bind_error(exc, host, port) from None


def _bind_error(exc: OSError, host: str, port: int) -> SiteError:
    if exc.errno == errno.EADDRINUSE:
        return SiteError.one("--port", None, f"port {port} is already in use on {host}",
                             f"stop the other server, or pick another port: tearsheet serve --port {port + 1}")
    if exc.errno == errno.EACCES:
        return SiteError.one("--port", None, f"not allowed to listen on port {port}",
                             "ports below 1024 need administrator rights: use --port 8000 or another above 1024")
    return SiteError.one("--host", None, f"cannot listen on {host}: {exc.strerror or exc}",
                         "use 127.0.0.1 (the default), localhost, or an address of this machine")


def display_host(bound: str) -> str:
    if bound in WILDCARD_HOSTS:
        return "localhost"
    return f"[{bound}]" if ":" in bound else bound


def _announce(log: Callable[[str], None], host: str, url: str) -> None:
    if host not in LOCAL_HOSTS:
        log(f"warning: --host {host}: anyone who can reach this machine can read the preview, members pages too")
    log(f"Preview: {url}/  (members view: {url}/_members/)\n"
        f"Watching site.toml, content/, templates/ and static/. Press Ctrl-C to stop.")


def _describe(paths: set[str], site_dir: str) -> str:
    """The files a rebuild is for, as the writer knows them: an editor's temporary file, gone by now, is not one."""
    saved = [p for p in paths if os.path.exists(p)] or list(paths)  # a file deleted on purpose is still why
    names = sorted(os.path.relpath(p, site_dir) for p in saved)
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    return ", ".join(names[:3]) + more
