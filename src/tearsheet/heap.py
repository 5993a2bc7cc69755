"""How the process uses memory: Python's collector told to run less often, and the C heap's free pages
handed back to the system, so that forked workers neither count nor copy them."""

from __future__ import annotations

import contextlib
import ctypes
import gc
from collections.abc import Callable, Iterator

COLLECTOR_THRESHOLDS = (50_000, 20, 100)  # Python's defaults: (700, 10, 10)


def fewer_collections() -> None:
    """Let Python's cycle collector run far less often than it does by default.

    A build makes millions of objects that live to its end (front matter, views of both tiers, the page
    keys) and few reference cycles, and by default the collector walks the survivors again and again:
    at 4,000 posts it took 0.3 s of a one-edit build (2.03-2.04 s, 1.78-1.90 s with these thresholds,
    in alternating runs) and 0.5 s of a cold one's parent. Cycles are still collected, every 50,000
    allocations rather than 700; forked workers inherit the setting.
    """
    gc.set_threshold(*COLLECTOR_THRESHOLDS)


@contextlib.contextmanager
def no_collections() -> Iterator[None]:
    """For a build in a process that builds once and exits (`tearsheet build`): no cycle collection at all.

    Even every 50,000 allocations, the collector walked the young objects of the caches a one-edit build
    loads (dicts of thousands of entries each, 50,000-80,000 objects a time): 60-80 ms of a one-edit
    build at 4,000 posts, in 60 collections. A build makes few reference cycles, and the process ends
    when it is done (cli.run leaves its memory to the system), so nothing is lost by never looking for
    them: a cold build's peak was the same (270-274 MB against 270-271 MB). Forked workers inherit it.
    The preview server, which builds again and again, keeps collecting (fewer_collections). Collection
    is as it was after the block (a test's process goes on), with what the build left taken for old:
    otherwise the first collection after it walks every object the build made (90 ms).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()  # into the oldest generation, uncounted: walked only when that generation is
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def trim_heap() -> None:
    """Hand the C heap's free pages back to the system, where the C library can (glibc).

    Called before forking: a free page the parent still holds is counted in its memory, and is copied
    once for each process that reuses it after the fork. At 4,000 posts this lowers a build's peak (the
    sum over its processes) by 50-70 MB. Elsewhere than glibc it does nothing.

    No collection runs first: with the thresholds above, the young generations hold up to a million
    objects by the time a pool forks, and walking them took 0.07-0.1 s per pool (0.2 s of a template
    change at 4,000 posts). The peak moved little: template change 243-249 MB either way; cold builds
    248-268 MB without it against 249-259 MB with it, three runs each taking turns.
    """
    if _malloc_trim is not None:
        _malloc_trim(0)


def _find_malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(None).malloc_trim  # type: ignore[no-any-return]
    except (OSError, TypeError, AttributeError):  # not glibc (macOS, musl, Windows)
        return None


_malloc_trim = _find_malloc_trim()
