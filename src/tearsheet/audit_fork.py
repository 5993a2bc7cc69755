"""The paywall audit of a build that renders few pages, on the core the build leaves idle.

A one-edit build at 4,000 posts spent a fifth of its time on the audit: loading numpy and the audit's
memory, reading the files that changed, saving the memory. The public tree is whole as soon as its pages
and feeds are staged, before the members site is made; from then on nothing writes to it. So the build
stages the public tree first and forks a child that audits it, while the build goes on with the members
site; the swap waits for the child's verdict, as it waited for the audit.

The child runs the audit as the build ran it (audit.audit_tree, with the same memory), taking the
staged public tree's files from the stage rather than walking it, so it finds what the build would
have found. Where it cannot give a verdict (it could not be forked, it
died, it raised), or the public tree was staged again after it forked, the build audits in-process as
before. A search index is made in the public tree after the members site: a build that makes one audits
after it, in-process.

This module imports neither numpy nor the audit: a build whose audit runs in the child never loads them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence

from .cache import BuildCache
from .config import SiteConfig
from .errors import Problem, SiteError
from .forked import ForkedCall
from .output import Stage
from .render import RenderedPost

FEW_PAGES = 500  # the most public pages rendered for the audit to run beside the members site's
MAX_MEMORY = 64 * 2**20  # the largest audit memory (on disk) a child audits with: 44 MB at 4,000 posts


class AuditAhead:
    """The audit of a staged public tree, run on a forked child (see the module's docstring)."""

    def __init__(self, stage: Stage, cache: BuildCache, config: SiteConfig, posts: Sequence[RenderedPost],
                 pages: Sequence[RenderedPost], site_dir: str) -> None:
        assert stage.book_dir is not None
        self.stage = stage
        self.public_dir = os.path.join(stage.staging, "public")
        self.staged = stage.staged_state("public")  # what it audits: the swap checks it is still what is staged
        book_dir = stage.book_dir

        def audit() -> list[Problem]:
            from .audit import audit_input, audit_tree

            return audit_tree(self.public_dir, audit_input(config, posts, pages, site_dir), "public", 1,
                              cache.audit(book_dir), listed=self.staged)

        self._call = ForkedCall(audit)

    @property
    def started(self) -> bool:
        return self._call.started

    def before_swap(self, audit_here: Callable[[], Callable[[str], None]],
                    timings: dict[str, float]) -> Callable[[str], None]:
        """The before-swap step: the child's verdict on the tree it audited, if that is the tree staged;
        else the step audit_here() makes, run in this process. timings["audit"]: the time the build
        waited for the verdict."""

        def run(staging_dir: str) -> None:
            start = time.perf_counter()
            answer = self._call.result()
            timings["audit"] = time.perf_counter() - start
            if answer is None or self.stage.staged_state("public") != self.staged:
                audit_here()(staging_dir)
            elif answer[0]:
                raise SiteError(answer[0])

        return run

    def close(self) -> None:
        self._call.close()


def audits_ahead(stage: Stage, cache: BuildCache | None) -> bool:
    """Whether a build may audit on a child: it keeps a cache, and its audit has a memory to start from
    (without one, MembersAhead starts on the posts as soon as they are rendered) that is not too large.

    The child costs memory besides its own: the pages it shares with the build are copied as either
    writes to them. A one-edit build peaked at 208-217 MB at 4,000 posts with the audit in the build,
    and at 276-292 MB with the child (the audit's memory: 44 MB, then read whole); at 10,000 posts, at
    430 MB and 666 MB. With the memory's arrays mapped rather than read (audit_memory), 257-260 MB at
    4,000 posts. Past MAX_MEMORY the build audits in-process, and a large site's rebuilds cost no more
    memory than they did.
    """
    return (cache is not None and stage.book_dir is not None and cache.knows_audits(stage.book_dir)
            and cache.audit_size(stage.book_dir) <= MAX_MEMORY)
