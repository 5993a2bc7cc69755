"""Each plus post's member-only shingles, indexed: what the paywall audit looks for in the public tree.

A shingle of a post's full edition is member-only when all its eight words come after the cut and the
post's own teaser, title, description and tags do not show it.
"""

from __future__ import annotations

import contextlib
import hashlib
import mmap
import os
import struct
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .audit_memory import AuditMemory
from .parallel import can_fork, end_process, start_process
from .render import RenderedPost
from .shingles import BREAK_HASH, EMPTY, among_sorted, hash_shingles, normal_tokens, shingle_array, word_hashes

MAX_PARTS = 64  # parts of the member index an audit keeps as they are (see with_members)
AHEAD_MIN_POSTS = 200  # fewer posts to shingle than this are not worth a process of their own
AHEAD_STEP = 16  # posts MembersAhead shingles between looks at whether to stop
AHEAD_PART = 512  # posts per part MembersAhead hands over
STOP_WAIT = 2.0  # seconds MembersAhead waits for its process to finish a step once told to stop
PART_HEAD = struct.Struct("<QQ")  # posts, shingles of one part MembersAhead wrote

Buffer = bytes | memoryview
MemberPart = tuple[np.ndarray, np.ndarray]  # (hashes, uint64, sorted; owners, int32, in the same order)


@dataclass(frozen=True, slots=True)
class MemberIndex:
    """The member-only shingles of every plus post, each with the post it belongs to, in parts.

    Each part is sorted by shingle; a shingle two posts share is there twice. The parts are never merged
    into one array (up to MAX_PARTS): a first audit's index is the largest thing it holds, and an edit
    then replaces one part, or adds one, where one sorted array would be copied and saved whole.
    """

    keys: list[bytes]  # each plus post's key (see post_key), in the order of AuditInput.plus
    parts: list[MemberPart]
    added: np.ndarray  # int32: the numbers of the posts the memory did not know
    fresh: int = 0  # the last `fresh` parts hold the shingles of those posts


def known_members(plus: Sequence[RenderedPost], memory: AuditMemory | None) -> MemberIndex:
    """The index of the posts the memory knows, unchanged; `added` names the posts still to shingle."""
    keys = [post_key(post) for post in plus]
    if memory is None or not memory.posts:
        return MemberIndex(keys, [], np.arange(len(plus), dtype=np.int32))
    number_of = {key: number for number, key in enumerate(keys)}
    renumber = np.array([number_of.get(key, -1) for key in memory.posts], dtype=np.int32)
    parts = []
    for hashes, owners in memory.member_parts:
        numbers = renumber[owners]
        kept = numbers >= 0
        if kept.all():  # the part as it was, its numbers too if no post moved: its files stand
            parts.append((hashes, owners if np.array_equal(numbers, owners) else numbers))
        elif kept.any():
            parts.append((hashes[kept], numbers[kept]))
    known = set(memory.posts)
    added = np.array([number for number, key in enumerate(keys) if key not in known], dtype=np.int32)
    return MemberIndex(keys, parts, added)


def with_members(index: MemberIndex, more: list[tuple[Buffer, Buffer]]) -> MemberIndex:
    """The index with the parts `member_shingles` made for its added posts; `more` is emptied.

    Beyond MAX_PARTS, all but the largest MAX_PARTS // 2 of the parts it had are merged into one.
    """
    made = [(np.frombuffer(hashes, dtype=np.uint64), np.frombuffer(owners, dtype=np.int32))
            for hashes, owners in more if hashes]
    more.clear()
    parts, keep = list(index.parts), MAX_PARTS // 2
    if len(parts) + len(made) > MAX_PARTS and len(parts) > keep + 1:
        by_size = sorted(range(len(parts)), key=lambda i: -len(parts[i][0]))
        parts = [parts[i] for i in sorted(by_size[:keep])] + [_merged([parts[i] for i in sorted(by_size[keep:])])]
    return MemberIndex(index.keys, [*parts, *made], index.added, fresh=len(made))


def _merged(parts: list[MemberPart]) -> MemberPart:
    hashes = np.concatenate([hashes for hashes, _ in parts])
    owners = np.concatenate([owners for _, owners in parts])
    order = np.argsort(hashes, kind="stable")  # timsort: fast on a few sorted runs
    return hashes[order], owners[order]


def post_key(post: RenderedPost) -> bytes:
    """What a post's member-only shingles depend on."""
    meta = post.meta
    digest = hashlib.blake2b(digest_size=16)
    for part in (meta.path, post.full.packed_html, post.public.packed_html, meta.title, meta.description, meta.series,
                 *meta.tags):
        data = part if isinstance(part, bytes) else (part or "").encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "little") + data)
    return digest.digest()


def member_shingles(part: Sequence[int], plus: Sequence[RenderedPost]) -> tuple[bytes, bytes]:
    """The shingles of each post's member-only part: all eight words after the cut, and not shown publicly.

    A run of words that starts in the teaser is left out: a plain-text index (Pagefind's) joins the
    teaser's last words to whatever block follows, and that may begin, by chance, with the word after
    the cut. A leak of eight member-only words is still a run wholly after the cut.
    """
    hashes, posts = [], []
    for number in part:
        post = plus[number]
        meta = post.meta
        public = word_hashes(normal_tokens(post.public.html))
        own = [hash_shingles(public), *(shingle_array(normal_tokens(text)) for text in
                                        (meta.title, meta.description, *meta.tags, meta.series) if text)]
        full = word_hashes(normal_tokens(post.full.html))
        full_shingles = hash_shingles(full[_after_teaser(full, public) :])
        member = full_shingles[~among_sorted(full_shingles, np.sort(np.concatenate([EMPTY, *own])))]
        hashes.append(member)
        posts.append(np.full(len(member), number, dtype=np.int32))
    all_hashes = np.concatenate([EMPTY, *hashes])
    order = np.argsort(all_hashes)  # introsort: a third of a stable sort's time, and as deterministic
    return all_hashes[order].tobytes(), np.concatenate([np.zeros(0, np.int32), *posts])[order].tobytes()


def _after_teaser(full_words: np.ndarray, public_words: np.ndarray) -> int:
    """Where, in the full edition's words (their hashes), the first word the public edition does not show is."""
    at = np.flatnonzero(full_words != BREAK_HASH)  # where each word (not a block's end) of the full edition is
    shown = public_words[public_words != BREAK_HASH]
    common = min(len(at), len(shown))
    differ = np.flatnonzero(full_words[at[:common]] != shown[:common])
    matched = int(differ[0]) if len(differ) else common
    return int(at[matched]) if matched < len(at) else len(full_words)


class MembersAhead:
    """Member shingles made ahead, on a forked process that runs only on a core nothing else wants.

    Started once the bodies are rendered: from then to the audit the build leaves a core idle for a
    second or so (it assembles the sites, and writes the feeds, on one), and the audit then has fewer
    posts to shingle itself. The process takes the posts the memory did not know (`index.added`), in
    order, and writes their shingles in parts to an unnamed temporary file; `take` stops it and returns
    the parts of the posts it finished, the first `done` of them. It never slows the build down: it
    runs at the scheduler's idle priority, and whatever it did not finish the audit does as before.
    """

    def __init__(self, plus: Sequence[RenderedPost], memory: AuditMemory | None) -> None:
        self.index = known_members(plus, memory)
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close(), when the build is done with it
        self._stop = mmap.mmap(-1, 1)  # shared with the process: a byte it reads between posts
        self._process = start_process(_shingle_ahead, (self._file.fileno(), self._stop, self.index.added, plus))
        self.seconds = 0.0  # the time `take` took

    def take(self, index: MemberIndex) -> tuple[int, list[tuple[Buffer, Buffer]]]:
        """Stop; (how many of index.added's posts it shingled, their parts). None taken for another index."""
        start = time.perf_counter()
        self._stop[0] = 1
        self._process.join(STOP_WAIT)  # it stops within AHEAD_STEP posts: a part is written whole, or not at all
        end_process(self._process)
        done, parts = 0, []
        if index.keys == self.index.keys and np.array_equal(index.added, self.index.added):
            done, parts = _parts_written(self._file)
        self.close()
        self.seconds += time.perf_counter() - start
        return done, parts

    def close(self) -> None:
        end_process(self._process)
        self._file.close()
        self._stop.close()

    def __enter__(self) -> MembersAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def members_ahead(plus: Sequence[RenderedPost], memory: AuditMemory | None,
                  jobs: int) -> MembersAhead | contextlib.nullcontext[None]:
    """A MembersAhead when there are enough posts to shingle and cores to spare, else nothing."""
    if jobs < 2 or not can_fork() or len(plus) - len(memory.posts if memory else ()) < AHEAD_MIN_POSTS:
        return contextlib.nullcontext()
    return MembersAhead(plus, memory)


def _shingle_ahead(fd: int, stop: mmap.mmap, numbers: np.ndarray, plus: Sequence[RenderedPost]) -> None:
    """MembersAhead's process: parts of AHEAD_PART posts, each as PART_HEAD, hashes, owners; a part cut
    short when told to stop."""
    try:
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        except (AttributeError, OSError):  # not Linux: the lowest priority nice gives
            os.nice(19)
        for start in range(0, len(numbers), AHEAD_PART):
            part = numbers[start : start + AHEAD_PART].tolist()
            steps = []
            for at in range(0, len(part), AHEAD_STEP):
                if stop[0]:
                    break
                hashes, owners = member_shingles(part[at : at + AHEAD_STEP], plus)
                steps.append((np.frombuffer(hashes, np.uint64), np.frombuffer(owners, np.int32)))
            done = min(len(steps) * AHEAD_STEP, len(part))
            if done:
                hashes, owners = _merged(steps)
                _write_all(fd, PART_HEAD.pack(done, len(hashes)) + hashes.tobytes() + owners.tobytes())
            if stop[0]:
                break
    except BaseException:  # the audit shingles the posts itself; no traceback for the writer
        os._exit(1)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _parts_written(file: Any) -> tuple[int, list[tuple[Buffer, Buffer]]]:
    """(posts, parts) of what _shingle_ahead wrote to the file."""
    file.seek(0)
    data = memoryview(file.read())  # parts are views of it, not copies
    done, parts, at = 0, [], 0
    while at + PART_HEAD.size <= len(data):
        posts, count = PART_HEAD.unpack_from(data, at)
        at += PART_HEAD.size
        hashes, owners = data[at : at + 8 * count], data[at + 8 * count : at + 12 * count]
        if len(owners) != 4 * count:
            break
        at += 12 * count
        done += posts
        parts.append((hashes, owners))
    return done, parts
