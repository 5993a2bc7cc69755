"""The paywall audit's memory of one output folder's public tree, kept in the build cache.

Stored like every cache file (cache.read_checked / write_checked): a damaged or foreign file is
ignored, and the audit then reads everything again. The arrays are mapped from their files, not read
(checked.read_checked_mapped), each 8-byte aligned in its file: a one-edit build looks up a few pages of
them (its audit on a child: 0.19 s rather than 0.31 s, and a 4,000-post build's peak 257-260 MB rather
than 284-288 MB).
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
from typing import Any

import numpy as np

from .cache import _loads, payload_offset, read_checked_mapped_view, read_checked_view, write_checked
from .shingles import sorted_unique

MAX_SEGMENTS = 8  # arrays of public shingles kept before they are merged into one
ARRAY_KIND = "audit-array"


def _padding() -> int:
    """Zero bytes before an array in its file, so that the array starts 8-byte aligned in it. NumPy copies an
    unaligned array whole before each lookup in it (np.searchsorted: 21 ms for 64 MB, against 3 us)."""
    return -payload_offset(ARRAY_KIND) % 8


class AuditMemory:
    """What the last passing audit of an output folder's public tree learnt, so the next reads only what changed.

    - `files`: keys (name and bytes) of every file audited since the memory was last started afresh;
    - `blocks`: keys of the long blocks (shingles.SeenBlocks) of those files;
    - `shown`: sorted arrays (uint64) holding every shingle of those files, and maybe some of files
      since changed: a superset, so a hit in it is checked again from scratch, never trusted;
    - `posts`, `member_parts`: each plus post's key, and the member-only shingles of all of them in
      parts, each part (hashes, owners) sorted by shingle, with the number (in `posts`) of the post
      each belongs to; an edit replaces a part or adds one, and the parts it left alone stay on disk;
    - `hits`, `hit_owners`: the member shingles `shown` held, with their posts' numbers;
    - `stats`: for the last two audits (a build stages into the spare tree and the live one in turn),
      {file: (signature, key)}: a file whose signature (device, inode, size, modified and changed
      times) is as an audit saw it holds the bytes that audit read. Any write changes a file's
      change time, which cannot be set back: a file edited in place with its size and modified time
      kept has a new signature all the same.
    """

    def __init__(self, folder: str) -> None:
        self.folder = folder
        index = _loads(read_checked_view(os.path.join(folder, "index"), "audit-index"), marshal.loads)
        self.files: set[bytes] = set(index.get("files", ()))
        self.blocks: set[bytes] = set(index.get("blocks", ()))
        self.posts: list[bytes] = list(index.get("posts", ()))
        self.fresh_sizes: tuple[int, int] = tuple(index.get("fresh_sizes", (0, 0)))  # type: ignore[assignment]
        stats = index.get("stats", [])
        self.stats: list[dict[str, tuple[tuple[int, ...], bytes]]] = (
            stats if isinstance(stats, list) and all(isinstance(each, dict) for each in stats) else [])
        self.shown: list[Any] = []
        self.member_parts: list[tuple[Any, Any]] = []
        self.hits = np.zeros(0, np.uint64)
        self.hit_owners = np.zeros(0, np.int32)
        segments, parts = list(index.get("segments", ())), list(index.get("member_parts", ()))
        whole = all(isinstance(part, tuple) and len(part) == 2 for part in parts)  # (hashes, owners)
        names = [*segments, *(name for part in parts for name in part), index.get("hits"), index.get("hit_owners")]
        dtypes = [*[np.uint64] * len(segments), *[np.uint64, np.int32] * len(parts), np.uint64, np.int32]
        arrays = [self._array(name, dtype) for name, dtype in zip(names, dtypes, strict=whole)]
        self._on_disk: dict[int, tuple[Any, str]] = {}  # id(array) -> (array, file name) of arrays stored
        if "member_parts" not in index or not whole or any(array is None for array in arrays):
            self.forget()
            return
        self.shown = arrays[: len(segments)]
        member_arrays = arrays[len(segments) : -2]
        self.member_parts = list(zip(member_arrays[::2], member_arrays[1::2], strict=True))
        self.hits, self.hit_owners = arrays[-2:]
        self._on_disk = {id(array): (array, name) for array, name in zip(arrays, names, strict=True)}

    def forget(self) -> None:
        """Start afresh: nothing is known to have been audited."""
        self.files, self.blocks, self.posts, self.shown, self.member_parts = set(), set(), [], [], []
        self.stats = []
        self.fresh_sizes = (0, 0)
        self.hits = np.zeros(0, np.uint64)
        self.hit_owners = np.zeros(0, np.int32)

    def outgrown(self) -> bool:
        """Whether blocks and shingles of files long gone make up most of what it remembers."""
        blocks, shingles = self.fresh_sizes
        return len(self.blocks) > 3 * blocks + 10_000 or sum(map(len, self.shown)) > 3 * shingles + 100_000

    def known_key(self, rel: str, signature: tuple[int, ...] | None) -> bytes | None:
        """The key of a file that an audit read and that has not changed since (see `stats`), else None."""
        if signature is None:
            return None
        for stats in self.stats:
            seen = stats.get(rel)
            if seen is not None and tuple(seen[0]) == signature:
                return seen[1]
        return None

    def save(self, files: set[bytes], blocks: set[bytes], shown: list[Any], posts: list[bytes],
             member_parts: list[tuple[Any, Any]], hits: Any, hit_owners: Any,
             stats: dict[str, tuple[tuple[int, ...], bytes]] | None = None) -> None:
        """Keep what a passing audit learnt; arrays already on disk are not written again."""
        if not self.files and not self.blocks:  # started afresh: the sizes it may grow from
            self.fresh_sizes = (len(blocks), sum(map(len, shown)))

        if len(shown) > MAX_SEGMENTS:
            shown = [sorted_unique(np.concatenate(shown))]
        names = {}
        stored = {name for _, name in self._on_disk.values()}
        on_disk: dict[int, tuple[Any, str]] = {}
        for label, array in (*((f"shown-{i}", a) for i, a in enumerate(shown)),
                             *((f"{kind}-{i}", a) for i, part in enumerate(member_parts)
                               for kind, a in zip(("members", "owners"), part, strict=True)),
                             ("hits", hits), ("hit_owners", hit_owners)):
            known = self._on_disk.get(id(array))
            if known is not None and known[0] is array:  # the very array read or written before: its file stands
                name = known[1]
            else:
                data = memoryview(np.ascontiguousarray(array)).cast("B")  # not copied: the index is large
                name = f"{label.split('-')[0]}-{hashlib.blake2b(data, digest_size=8).hexdigest()}"  # its contents
                if name not in stored:
                    write_checked(os.path.join(self.folder, name), ARRAY_KIND, data, _padding())  # not copied
            names[label] = name
            on_disk[id(array)] = (array, name)
        segments = [names[f"shown-{i}"] for i in range(len(shown))]
        parts = [(names[f"members-{i}"], names[f"owners-{i}"]) for i in range(len(member_parts))]
        recent = [stats or {}, *self.stats[:1]]  # this tree's and the other's
        index = {"files": sorted(files), "blocks": sorted(blocks), "posts": posts, "segments": segments,
                 "member_parts": parts, "fresh_sizes": self.fresh_sizes, "stats": recent,
                 **{name: names[name] for name in ("hits", "hit_owners")}}
        write_checked(os.path.join(self.folder, "index"), "audit-index", marshal.dumps(index))
        for name in os.listdir(self.folder):
            if name != "index" and name not in names.values():
                with contextlib.suppress(OSError):
                    os.remove(os.path.join(self.folder, name))
        # what it remembers now, for a next audit by the same process (a preview server's next rebuild)
        self.files, self.blocks, self.posts, self.shown = set(files), set(blocks), list(posts), list(shown)
        self.member_parts, self.hits, self.hit_owners = list(member_parts), hits, hit_owners
        self.stats = recent
        self._on_disk = on_disk

    def _array(self, name: str | None, dtype: Any) -> Any:
        if not isinstance(name, str):
            return None
        data = read_checked_mapped_view(os.path.join(self.folder, name), ARRAY_KIND)  # looked up, mostly
        padding = _padding()
        if data is None or len(data) < padding or (len(data) - padding) % np.dtype(dtype).itemsize:
            return None
        return np.frombuffer(data[padding:], dtype=dtype)
