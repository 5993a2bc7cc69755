"""Each plus post's member-only shingles, indexed: what the paywall audit looks for in the public tree.

A shingle of a post's full edition is member-only when all its eight words come after the cut and the
post's own teaser, title, description and tags do not show it.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import signal
import struct
import sys
import tempfile
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from .shingles import BREAK_HASH, EMPTY, among_sorted, hash_shingles, normal_tokens, shingle_array, word_hashes

if TYPE_CHECKING:  # not imported: MembersAhead's process imports this module, and should load little
    from .audit_memory import AuditMemory
    from .render import RenderedPost

MAX_PARTS = 64  # parts of the member index an audit keeps as they are (see with_members)
AHEAD_MIN_POSTS = 200  # fewer posts to shingle than this are not worth a process of their own
AHEAD_STEP = 16  # posts MembersAhead's process shingles at once
AHEAD_PART = 64  # posts per part it hands over: a part it was on when stopped is lost (about 30 ms of work)
PART_HEAD = struct.Struct("<QQ")  # posts, shingles of one part MembersAhead wrote

Buffer = bytes | memoryview
PostTexts = tuple[bytes, bytes, tuple[str, ...]]  # see post_texts
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
    """What a post's member-only shingles depend on: its editions (the body key they were rendered for, where
    known: an audit's memory is kept with the bodies, for the same code), and its own public texts."""
    meta = post.meta
    digest = hashlib.blake2b(digest_size=16)
    editions = (f"body {post.body_key}",) if post.body_key else (post.full.packed_html, post.public.packed_html)
    for part in (meta.path, *editions, meta.title, meta.description, meta.series, *meta.tags):
        data = part if isinstance(part, bytes) else (part or "").encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "little") + data)
    return digest.digest()


def member_shingles(part: Sequence[int], plus: Sequence[RenderedPost]) -> tuple[bytes, bytes]:
    """The member-only shingles of some posts, sorted, and the number of the post each is of (see _shingled)."""
    return _shingled(part, [post_texts(plus[number]) for number in part])


def post_texts(post: RenderedPost) -> PostTexts:
    """What a post's member-only shingles are made from: its editions (packed) and the texts of its own
    the public sees (title, description, tags, series)."""
    meta = post.meta
    own = tuple(text for text in (meta.title, meta.description, *meta.tags, meta.series) if text)
    return post.public.packed_html, post.full.packed_html, own


def _shingled(numbers: Sequence[int], texts: Sequence[PostTexts]) -> tuple[bytes, bytes]:
    """The shingles of each post's member-only part: all eight words after the cut, and not shown publicly.

    A run of words that starts in the teaser is left out: a plain-text index (Pagefind's) joins the
    teaser's last words to whatever block follows, and that may begin, by chance, with the word after
    the cut. A leak of eight member-only words is still a run wholly after the cut.
    """
    hashes, posts = [], []
    for number, (public_html, full_html, own_texts) in zip(numbers, texts, strict=True):
        public = word_hashes(normal_tokens(_unpack(public_html)))
        own = [hash_shingles(public), *(shingle_array(normal_tokens(text)) for text in own_texts)]
        full = word_hashes(normal_tokens(_unpack(full_html)))
        full_shingles = hash_shingles(full[_after_teaser(full, public) :])
        member = full_shingles[~among_sorted(full_shingles, np.sort(np.concatenate([EMPTY, *own])))]
        hashes.append(member)
        posts.append(np.full(len(member), number, dtype=np.int32))
    all_hashes = np.concatenate([EMPTY, *hashes])
    order = np.argsort(all_hashes)  # introsort: a third of a stable sort's time, and as deterministic
    return all_hashes[order].tobytes(), np.concatenate([np.zeros(0, np.int32), *posts])[order].tobytes()


def _unpack(packed: bytes) -> str:
    return zlib.decompress(packed).decode("utf-8", "surrogatepass")  # render.unpack (not imported: see above)


def _after_teaser(full_words: np.ndarray, public_words: np.ndarray) -> int:
    """Where, in the full edition's words (their hashes), the first word the public edition does not show is."""
    at = np.flatnonzero(full_words != BREAK_HASH)  # where each word (not a block's end) of the full edition is
    shown = public_words[public_words != BREAK_HASH]
    common = min(len(at), len(shown))
    differ = np.flatnonzero(full_words[at[:common]] != shown[:common])
    matched = int(differ[0]) if len(differ) else common
    return int(at[matched]) if matched < len(at) else len(full_words)


class MembersAhead:
    """Member shingles made ahead, by a process of their own that runs only on a core nothing else wants.

    Started once the bodies are rendered: from then to the audit the build leaves a core idle for a
    second or so (it assembles the sites, and writes the feeds, on one), and the audit then has fewer
    posts to shingle itself. It is for an audit with no memory (a first build, --no-cache), which
    shingles every plus post; an audit's memory knows most. The process is a fresh interpreter, not a
    fork: a fork would keep a copy of every page of this process's memory that the build goes on to
    change, 80-90 MB at 4,000 posts. It is given the plus posts, their texts in a temporary file,
    and writes their shingles, in parts, to another; `take` stops it and returns the parts of the posts
    it finished, the first `done` of them. It never slows the build down: it runs at the scheduler's
    idle priority, and whatever it did not finish the audit does as before.
    """

    def __init__(self, plus: Sequence[RenderedPost]) -> None:
        self.plus = tuple(plus)
        self.index = known_members(self.plus, None)
        self.seconds = 0.0  # the time `take` took
        self._pid: int | None = None
        self._texts: IO[bytes] | None = None
        self._shingles: IO[bytes] | None = None
        self._written: int | None = None  # a pipe's end: the process writes a byte once its last part is written
        try:
            self._texts = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
            self._shingles = tempfile.TemporaryFile()  # noqa: SIM115 - likewise
            self._pid = self._start(plus, self._texts, self._shingles)
        except OSError:  # no room for the texts (a full disk), no process: the audit shingles every post itself
            self.close()

    def _start(self, plus: Sequence[RenderedPost], texts: IO[bytes], shingles: IO[bytes]) -> int:
        """Write the posts' texts and start the process on them; its pid."""
        numbers = self._to_shingle()
        marshal.dump(numbers, texts)
        for number in numbers:  # one at a time: the process reads them as it goes, not all at once
            marshal.dump(post_texts(plus[number]), texts)
        texts.flush()
        texts.seek(0)  # the process shares the file's offset: it reads from here
        self._written, told = os.pipe()
        fds = (texts.fileno(), shingles.fileno(), told)
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # where `tearsheet` is found
        code = ("import os, sys; os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0)); "  # (posix_spawn's
                f"sys.path.insert(0, sys.argv[1]); from {__name__} import shingle_ahead; shingle_ahead()")  # won't)
        argv = [sys.executable, "-c", code, root, *map(str, (*fds, AHEAD_STEP, AHEAD_PART))]
        quiet = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]  # no traceback, ever
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}  # numpy: no thread pools
        for fd in fds:
            os.set_inheritable(fd, True)
        try:  # Ctrl-C held off: it is this process's to handle (see close). Not a session of its own: that
            # is a scheduling group of its own too, where a kernel has autogroups, given a core's half.
            return os.posix_spawn(sys.executable, argv, env, file_actions=quiet, setsigmask=(signal.SIGINT,))
        finally:
            for fd in fds[:2]:
                os.set_inheritable(fd, False)
            os.close(told)  # the process's alone: once it ends, however, the pipe reads as closed

    def _to_shingle(self) -> list[int]:
        """The numbers of the posts the process is given: all of them, in order."""
        return self.index.added.tolist()

    def take(self, index: MemberIndex) -> tuple[int, list[tuple[Buffer, Buffer]]]:
        """Stop; (how many of index.added's posts it shingled, their parts). None taken for another index.

        The process is ended at once, not asked to finish what it is on (at the idle priority, it may get no
        core to do so): the parts it wrote in full are those it wrote a byte to the pipe for.
        """
        start = time.perf_counter()
        if self._pid is not None:  # waited for when this closes
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
        done, parts = 0, []
        if self._shingles is not None and index.keys == self.index.keys and np.array_equal(index.added,
                                                                                           self.index.added):
            with contextlib.suppress(OSError):  # unreadable: the audit shingles every post itself
                done, parts = _parts_written(self._shingles, self._parts_told())
        self.seconds += time.perf_counter() - start
        return done, parts

    def _parts_told(self) -> int:
        """How many parts the process said it wrote in full: the bytes on the pipe."""
        told = 0
        if self._written is not None:
            os.set_blocking(self._written, False)
            with contextlib.suppress(BlockingIOError):
                while chunk := os.read(self._written, 4096):
                    told += len(chunk)
        return told

    def close(self) -> None:
        """End the process, if it still runs, and let its files go."""
        if self._pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            self._wait()
        for file in (self._texts, self._shingles):
            if file is not None:
                file.close()
        if self._written is not None:
            os.close(self._written)
            self._written = None

    def _wait(self) -> None:
        """Wait for the process to end."""
        if self._pid is not None:
            with contextlib.suppress(ChildProcessError):  # waited for already
                os.waitpid(self._pid, 0)
            self._pid = None

    def __enter__(self) -> MembersAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def members_ahead(plus: Sequence[RenderedPost], jobs: int) -> MembersAhead | contextlib.nullcontext[None]:
    """A MembersAhead when there are enough posts to shingle and cores to spare, else nothing."""
    if jobs < 2 or not hasattr(os, "SCHED_IDLE") or not hasattr(os, "posix_spawn") or len(plus) < AHEAD_MIN_POSTS:
        return contextlib.nullcontext()
    return MembersAhead(plus)


def shingle_ahead() -> None:
    """MembersAhead's process: `python -c ... ROOT TEXTS SHINGLES WRITTEN STEP PART` (two open files, a
    pipe's end, AHEAD_STEP and AHEAD_PART). Writes parts of PART posts, each as PART_HEAD, hashes and
    owners, and a byte to the pipe after each; it is ended, with SIGKILL, wherever it is.
    """
    texts_fd, shingles_fd, written_fd, step, part = map(int, sys.argv[2:7])
    with os.fdopen(texts_fd, "rb") as texts, os.fdopen(shingles_fd, "wb") as out:
        numbers = marshal.load(texts)
        for start in range(0, len(numbers), part):
            steps = []
            for at in range(start, min(start + part, len(numbers)), step):
                some = numbers[at : at + step]
                hashes, owners = _shingled(some, [marshal.load(texts) for _ in some])
                steps.append((np.frombuffer(hashes, np.uint64), np.frombuffer(owners, np.int32)))
            hashes_array, owners_array = _merged(steps)
            out.write(PART_HEAD.pack(min(part, len(numbers) - start), len(hashes_array)) + hashes_array.tobytes()
                      + owners_array.tobytes())
            out.flush()
            os.write(written_fd, b".")  # after the part is in the file


def _parts_written(file: Any, count: int) -> tuple[int, list[tuple[Buffer, Buffer]]]:
    """(posts, parts) of the first `count` parts shingle_ahead wrote to the file."""
    file.seek(0)
    data = memoryview(file.read())  # parts are views of it, not copies
    done, parts, at = 0, [], 0
    while len(parts) < count and at + PART_HEAD.size <= len(data):
        posts, shingles = PART_HEAD.unpack_from(data, at)
        at += PART_HEAD.size
        hashes, owners = data[at : at + 8 * shingles], data[at + 8 * shingles : at + 12 * shingles]
        if len(owners) != 4 * shingles:
            break
        at += 12 * shingles
        done += posts
        parts.append((hashes, owners))
    return done, parts
