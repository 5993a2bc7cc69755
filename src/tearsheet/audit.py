"""The paywall audit: search every file of the public tree for the member-only text of plus posts.

A second gate, independent of templates: whatever a template, feed or search index wrote, the
finished public tree is read back and compared with what members alone may read.

Text is compared in shingles, overlapping runs of 8 words, after normalising: tags stripped (comments
and long attribute values kept), entities and JSON escapes decoded, gzip and brotli undone, case folded
and split into runs of letters and digits, so curly and straight quotes, dashes and ellipses separate
words alike. A shingle of a plus post's full edition is member-only unless the public may read it
anyway: in the post's teaser, title, description or tags, in any free post, page or other teaser, or in
the site's own words in site.toml.

Cost, and where it could go next: every word of the public tree and of every plus post's full edition
is hashed once into 8-word shingles (about 0.3 us a word in CPython), so the audit grows with both. A
post's own page skips the post's public body; a block (a paragraph, a list item, a feed item) or an
attribute value that a worker has already searched is not searched again, since a shingle never spans
two blocks: the chrome of every page and the summaries and feed items repeated on many lists are read
once. Files then posts are shared among forked workers. Not done yet: a persistent cache, so that a
build that changed a few files audits only those (it needs shingle hashes stable across processes:
Python's hash() of bytes is salted).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import importlib
import os
import re
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from .cache import AuditMemory
from .config import SiteConfig
from .content import relative_path
from .errors import Problem, SiteError
from .parallel import can_fork, default_jobs, map_on_workers
from .render import RenderedPost
from .shingles import (
    BREAK_HASH,
    BREAK_TOKEN,
    EMPTY,
    INLINE_TAG,
    SHINGLE,
    TAG,
    SeenBlocks,
    Segment,
    normal_tokens,
    normal_words,
    segment_shingles,
    segments_of,
    shingle_array,
    shingles,
    sorted_unique,
    text_tokens,
    word_hashes,
)
from .site import base_path, page_url, post_url

QUOTE_WORDS = 16  # the most words of a leak an error message quotes
MAX_REPORTED = 20  # files named before "... and N more"
T = TypeVar("T")
R = TypeVar("R")
GZIP_MAGIC = b"\x1f\x8b"
HEAD_BYTES = 8192  # a NUL byte in these marks a binary file (an image), which is not searched
MIN_PARALLEL_ITEMS = 200  # fewer files or posts than this are read in this process: forking costs more
SKIP_KNOWN_BELOW = 2000  # bytes: a shorter public body is cheaper to read again than to cut out

@dataclass(frozen=True, slots=True)
class AuditInput:
    """What the audit knows: the plus posts' editions and every text the public may see."""

    plus: tuple[RenderedPost, ...]  # posts whose public edition leaves something out
    public_texts: tuple[str, ...]  # HTML or plain text shown to the public (bodies, titles, site words)
    known: tuple[tuple[str, str], ...]  # (public file, public body it shows), cut out before searching


def audit_input(config: SiteConfig, posts: Sequence[RenderedPost], pages: Sequence[RenderedPost]) -> AuditInput:
    """Collect what the audit compares: member editions on one side, public text on the other."""
    texts = [*_site_words(config)]
    known = []
    root = base_path(config)
    for post in [*posts, *pages]:
        meta = post.meta
        texts += [meta.title, meta.description, *meta.tags, meta.series, post.public.html]
        url = post_url(config, meta) if meta.kind == "post" else page_url(config, meta)
        if len(post.public.html) >= SKIP_KNOWN_BELOW:
            known.append((_file_for(url, root), post.public.html))
    plus = tuple(p for p in posts if p.public is not p.full)
    return AuditInput(plus, tuple(t for t in texts if t), tuple(known))


def _site_words(config: SiteConfig) -> Iterator[str]:
    """Words of site.toml that any public page may show."""
    yield from (config.title, config.description, config.copyright)
    paywall = config.paywall
    yield from (value for value in (getattr(paywall, name) for name in paywall.__slots__) if isinstance(value, str))
    for author in config.authors:
        yield from (author.name, author.bio)
    yield from (item.title for item in config.menu)


def _file_for(url: str, root: str) -> str:
    path = url[len(root):] if root and url.startswith(root) else url
    return path.strip("/") + "/index.html" if path.strip("/") else "index.html"


def audit_step(config: SiteConfig, posts: Sequence[RenderedPost], pages: Sequence[RenderedPost],
               timings: dict[str, float] | None = None, jobs: int = 1,
               memory: AuditMemory | None = None) -> Callable[[str], None]:
    """A before-swap step for the writer: audit the staged public tree; a leak stops the swap."""
    audit = audit_input(config, posts, pages)

    def run(staging_dir: str) -> None:
        start = time.perf_counter()
        try:
            check_public_tree(os.path.join(staging_dir, "public"), audit, jobs=jobs, memory=memory)
        finally:
            if timings is not None:
                timings["audit"] = time.perf_counter() - start

    return run


@dataclass(frozen=True, slots=True)
class AuditReport:
    files: int  # files searched
    plus_posts: int  # posts with member-only text
    problems: tuple[Problem, ...]


def audit_output(site_dir: str, out_dir: str, now: dt.datetime | None = None) -> AuditReport:
    """Audit out_dir/public against the site's posts as they stand: drafts and future posts included."""
    from .access import apply_access_rules
    from .content import read_config, read_content
    from .markdown import make_markdown
    from .render import render_post

    public_dir = os.path.join(out_dir, "public")
    if not os.path.isdir(public_dir):
        raise SiteError.one(out_dir, None, "no public/ folder here to audit",
                            "pass the folder `tearsheet build --out` wrote (default: SITE_DIR/output)")
    config = read_config(site_dir)
    source, _ = apply_access_rules(read_content(site_dir, config), now or dt.datetime.now(dt.UTC))
    md = make_markdown(config.raw_html)
    posts = [render_post(md, p) for p in source.posts]
    audit = audit_input(config, posts, [render_post(md, p) for p in source.pages])
    problems = audit_tree(public_dir, audit, os.path.relpath(public_dir), default_jobs())
    return AuditReport(sum(1 for _ in _tree_files(public_dir)), len(audit.plus), tuple(problems))


def check_public_tree(public_dir: str, audit: AuditInput, label: str = "public", jobs: int = 1,
                      memory: AuditMemory | None = None) -> None:
    """Raise a SiteError naming every file of the public tree that shows member-only text."""
    problems = audit_tree(public_dir, audit, label, jobs, memory)
    if problems:
        raise SiteError(problems)


def audit_tree(public_dir: str, audit: AuditInput, label: str = "public", jobs: int = 1,
               memory: AuditMemory | None = None) -> list[Problem]:
    """One problem per (file, post) where a file of the tree shows some of a post's member-only text.

    With jobs > 1 the posts, then the files, are shared out among forked processes. Given the memory
    of the last passing audit, files it read are not read again and posts it knew are not shingled
    again; a hit that involves what it remembers is checked again from scratch.
    """
    problems: list[Problem] = []
    if not audit.plus:
        return problems  # no post has member-only text
    files = sorted(_tree_files(public_dir))
    if memory is not None and memory.outgrown():
        memory.forget()  # much of what it remembers is gone from the tree: read it all again
    remembered = frozenset(memory.files) if memory is not None else frozenset()
    blocks = frozenset(memory.blocks) if memory is not None else frozenset()
    known = {rel: body.encode() for rel, body in audit.known}
    members = _member_index(audit.plus, jobs, memory)
    keys: set[bytes] = set()
    new_blocks: set[bytes] = set()
    fresh: list[np.ndarray] = [EMPTY]
    # one part a worker: a block a part has read once it need not read again
    for part_keys, part_blocks, found, file_problems in _spread(
            _read_files, files, jobs, (public_dir, known, label, remembered, blocks), parts_per_job=1):
        keys.update(part_keys[i : i + FILE_KEY] for i in range(0, len(part_keys), FILE_KEY))
        new_blocks.update(part_blocks[i : i + BLOCK_KEY] for i in range(0, len(part_blocks), BLOCK_KEY))
        fresh.append(np.frombuffer(found, dtype=np.uint64))
        problems += file_problems
    shown = sorted_unique(np.concatenate(fresh))
    remembering = bool(remembered or blocks)
    hits, owners = _hits(members, shown, memory if remembering else None)
    leaks = _leaks(audit, hits, owners)
    if leaks and remembering:
        assert memory is not None
        memory.forget()
        return audit_tree(public_dir, audit, label, jobs, memory)  # what it remembers may be stale: read it all
    if leaks:
        problems += _locate(public_dir, files, known, leaks, label)
    if memory is not None and not problems:
        segments = [*memory.shown, shown] if len(shown) else memory.shown
        # the files of this tree only; blocks and shingles of earlier ones too, until they outgrow it
        memory.save(keys, memory.blocks | new_blocks, segments, members.keys, members.hashes, members.owners,
                    hits, owners)
    return problems


def _tree_files(root: str) -> Iterator[str]:
    """Every file under root as a relative path with forward slashes."""
    for folder, _dirs, names in os.walk(root):
        inside = relative_path(folder, root) + "/" if folder != root else ""
        for name in names:
            yield inside + name


@dataclass(frozen=True, slots=True)
class MemberIndex:
    """The member-only shingles of every plus post, sorted, each with the post it belongs to."""

    keys: list[bytes]  # each plus post's key (see _post_key), in the order of AuditInput.plus
    hashes: np.ndarray  # uint64, sorted; a shingle two posts share is there twice
    owners: np.ndarray  # int32: the number in AuditInput.plus of the post each shingle belongs to
    added: np.ndarray  # int32: the numbers of the posts the memory did not know


def _member_index(plus: Sequence[RenderedPost], jobs: int, memory: AuditMemory | None) -> MemberIndex:
    """Shingles of each plus post's full edition that its own teaser, title, description and tags do not show."""
    keys = [_post_key(post) for post in plus]
    hashes, owners = np.zeros(0, np.uint64), np.zeros(0, np.int32)
    number_of = {key: number for number, key in enumerate(keys)}
    if memory is not None and memory.posts:
        renumber = np.array([number_of.get(key, -1) for key in memory.posts], dtype=np.int32)
        owners = renumber[memory.owners]
        kept = owners >= 0
        hashes, owners = memory.members[kept], owners[kept]
        known = set(memory.posts)
        added = [number for number, key in enumerate(keys) if key not in known]
    else:
        added = list(range(len(plus)))
    # each part comes back sorted; merging one into the index costs a copy of it, not a sort of it all
    for part_hashes, part_owners in _spread(_member_shingles, [(n, plus[n]) for n in added], jobs, None,
                                            parts_per_job=1):
        more_hashes = np.frombuffer(part_hashes, dtype=np.uint64)
        at = np.searchsorted(hashes, more_hashes)
        hashes = np.insert(hashes, at, more_hashes)
        owners = np.insert(owners, at, np.frombuffer(part_owners, dtype=np.int32))
        del at, more_hashes, part_hashes, part_owners
    return MemberIndex(keys, hashes, owners, np.array(added, dtype=np.int32))


def _post_key(post: RenderedPost) -> bytes:
    """What a post's member-only shingles depend on."""
    meta = post.meta
    digest = hashlib.blake2b(digest_size=16)
    for part in (meta.path, post.full.html, post.public.html, meta.title, meta.description, meta.series,
                 *meta.tags):
        data = (part or "").encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "little") + data)
    return digest.digest()


def _member_shingles(part: Sequence[tuple[int, RenderedPost]], _state: None) -> tuple[bytes, bytes]:
    """The shingles of each post's member-only part: all eight words after the cut, and not shown publicly.

    A run of words that starts in the teaser is left out: a plain-text index (Pagefind's) joins the
    teaser's last words to whatever block follows, and that may begin, by chance, with the word after
    the cut. A leak of eight member-only words is still a run wholly after the cut.
    """
    hashes, posts = [], []
    for number, post in part:
        meta = post.meta
        public = normal_tokens(post.public.html)
        own = [shingle_array(public), *(shingle_array(normal_tokens(text)) for text in
                                        (meta.title, meta.description, *meta.tags, meta.series) if text)]
        full = normal_tokens(post.full.html)
        full_shingles = shingle_array(full[_after_teaser(full, public) :])
        member = full_shingles[~_among_sorted(full_shingles, np.sort(np.concatenate([EMPTY, *own])))]
        hashes.append(member)
        posts.append(np.full(len(member), number, dtype=np.int32))
    all_hashes = np.concatenate([EMPTY, *hashes])
    order = np.argsort(all_hashes, kind="stable")
    return all_hashes[order].tobytes(), np.concatenate([np.zeros(0, np.int32), *posts])[order].tobytes()


def _among_sorted(values: np.ndarray, sorted_values: np.ndarray) -> np.ndarray:
    """For each value, whether the sorted array holds it (np.isin sorts both sides; this only the small one)."""
    if not len(sorted_values):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_values, values), len(sorted_values) - 1)
    return sorted_values[at] == values


def _after_teaser(full: Sequence[bytes], public: Sequence[bytes]) -> int:
    """Where, in the full edition's words, the first word the public edition does not show is."""
    full_words, public_words = word_hashes(full), word_hashes(public)
    at = np.flatnonzero(full_words != BREAK_HASH)  # where each word (not a block's end) of the full edition is
    shown = public_words[public_words != BREAK_HASH]
    common = min(len(at), len(shown))
    differ = np.flatnonzero(full_words[at[:common]] != shown[:common])
    matched = int(differ[0]) if len(differ) else common
    return int(at[matched]) if matched < len(at) else len(full)


FILE_KEY = 16  # bytes of a file's key: a digest of its name and bytes
BLOCK_KEY = 8  # bytes of a long block's key (see shingles.SeenBlocks)
READ_BATCH = 256  # files whose shingles are sorted and merged together

# public folder, known bodies, label, keys of the files and of the long blocks the memory has audited
ReadState = tuple[str, dict[str, bytes], str, frozenset[bytes], frozenset[bytes]]


def _read_files(part: Sequence[str], state: ReadState) -> tuple[bytes, bytes, bytes, list[Problem]]:
    """The keys of some files of the tree, the keys of the long blocks read, and the shingles (sorted
    uint64) of what the memory did not already know."""
    public_dir, known, label, remembered, blocks = state
    problems: list[Problem] = []
    keys: list[bytes] = []
    found: list[np.ndarray] = [EMPTY]
    seen = SeenBlocks(blocks)
    for start in range(0, len(part), READ_BATCH):
        batch = [EMPTY]
        for rel in part[start : start + READ_BATCH]:
            raw = _raw_bytes(public_dir, rel)
            key = hashlib.blake2b(rel.encode() + b"\x00" + raw, digest_size=FILE_KEY).digest()
            keys.append(key)
            if key not in remembered:
                batch.append(shingle_array(_file_tokens(rel, raw, known, problems, label, seen)))
        found.append(sorted_unique(np.concatenate(batch)))
    return b"".join(keys), b"".join(seen.new), sorted_unique(np.concatenate(found)).tobytes(), problems


def _hits(members: MemberIndex, shown: np.ndarray, memory: AuditMemory | None) -> tuple[np.ndarray, np.ndarray]:
    """(shingle, post number) of every member shingle the tree shows: sorted by shingle, each pair once.

    `shown` holds the shingles of the files read. With a memory, the files not read are those it read
    before: their shingles are in its `shown` (or were, with those of files since changed), and its hits
    stand for the posts it knew; the posts it did not know are looked up in its `shown`.
    """
    hits = [_among(members, shown)]
    if memory is not None:
        renumber = {key: number for number, key in enumerate(members.keys)}
        old = np.array([renumber.get(key, -1) for key in memory.posts], dtype=np.int32)
        old_owners = old[memory.hit_owners] if len(memory.posts) else np.zeros(0, np.int32)
        kept = old_owners >= 0
        hits.append((memory.hits[kept], old_owners[kept]))
        added = np.isin(members.owners, members.added)
        new_hashes, new_owners = members.hashes[added], members.owners[added]
        for segment in memory.shown:
            at = np.minimum(np.searchsorted(segment, new_hashes), max(len(segment) - 1, 0))
            found = segment[at] == new_hashes if len(segment) else np.zeros(len(new_hashes), bool)
            hits.append((new_hashes[found], new_owners[found]))
    all_hashes = np.concatenate([h for h, _ in hits])
    all_owners = np.concatenate([o for _, o in hits])
    order = np.lexsort((all_owners, all_hashes))
    all_hashes, all_owners = all_hashes[order], all_owners[order]
    first = np.ones(len(order), bool)
    first[1:] = (all_hashes[1:] != all_hashes[:-1]) | (all_owners[1:] != all_owners[:-1])
    return all_hashes[first], all_owners[first]


def _among(members: MemberIndex, shown: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(shingle, post number) of the member shingles in `shown` (sorted)."""
    first = np.searchsorted(members.hashes, shown, side="left")
    last = np.searchsorted(members.hashes, shown, side="right")
    counts = last - first
    if not counts.any():
        return EMPTY, np.zeros(0, np.int32)
    starts = np.repeat(first, counts)
    steps = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    at = starts + steps
    return members.hashes[at], members.owners[at]


def _leaks(audit: AuditInput, hits: np.ndarray, owners: np.ndarray) -> dict[int, list[str]]:
    """The member-only shingles shown that the public may not read elsewhere: {shingle: post paths}."""
    leaks: dict[int, list[str]] = defaultdict(list)
    by_post: dict[int, set[int]] = defaultdict(set)
    for shingle, number in zip(hits.tolist(), owners.tolist(), strict=True):
        leaks[shingle].append(audit.plus[number].meta.path)
        by_post[number].add(shingle)
    words: dict[int, Sequence[bytes]] = {}
    for number, wanted in by_post.items():
        words.update(_shingle_words(normal_words(audit.plus[number].full.html), wanted))
    if leaks:
        _drop_public(leaks, words, audit.public_texts)
    return dict(leaks)


_audit_work: list[tuple[Callable[..., Any], Any]] = []  # handed to forked workers, as parallel.render_pages does


def _spread(task: Callable[[Sequence[T], Any], R], items: Sequence[T], jobs: int, state: Any,
            parts_per_job: int = 4) -> Iterator[R]:
    """task(part, state) over parts of items: in this process, or on forked workers when it pays."""
    if jobs <= 1 or len(items) < MIN_PARALLEL_ITEMS or not can_fork():
        yield task(items, state)
        return
    count = jobs * parts_per_job
    parts = [items[i::count] for i in range(count)]  # interleaved: big and small files mix
    _audit_work[:] = [(task, state)]
    try:  # the workers are gone however this ends (a Ctrl-C included: see parallel.start_pool)
        with contextlib.closing(map_on_workers(_run_part, parts, jobs)) as results:
            yield from results
    finally:
        _audit_work.clear()


def _run_part(part: Sequence[Any]) -> Any:
    task, state = _audit_work[0]
    return task(part, state)


def _shingle_words(segments: Iterable[Segment], wanted: set[int]) -> Iterator[tuple[int, Sequence[bytes]]]:
    for words in segments:
        for start, shingle in enumerate(segment_shingles(words)):
            if shingle in wanted:
                yield shingle, words[start : start + SHINGLE]


def _drop_public(hits: dict[int, list[str]], words: dict[int, Sequence[bytes]], public_texts: Iterable[str]) -> None:
    """A shingle the public may read elsewhere (a free post quotes it, say) is not a leak."""
    keys = {max((w for w in words[h] if w.isascii()), key=len, default=b"") for h in hits}
    prefilter = None if b"" in keys else re.compile("|".join(re.escape(k.decode()) for k in keys), re.IGNORECASE)
    for text in sorted(public_texts, key=len):  # titles and teasers first: they settle most
        if prefilter is not None and not prefilter.search(text):
            continue  # cannot hold a shingle without its longest word
        for shingle in set(hits).intersection(shingles(normal_words(text))):
            del hits[shingle]
        if not hits:
            return


def _locate(public_dir: str, files: Sequence[str], known: dict[str, bytes], leaks: dict[int, list[str]],
            label: str) -> list[Problem]:
    """Read the tree again and name each leaking file, post and a quote of the text."""
    problems: list[Problem] = []
    leaking_files = 0
    for rel in files:
        runs = _leak_runs(segments_of(_file_tokens(rel, _raw_bytes(public_dir, rel), known, [], label)), leaks)
        if not runs:
            continue
        leaking_files += 1
        if leaking_files <= MAX_REPORTED:
            problems += [_leak_problem(f"{label}/{rel}", post, words) for post, words in sorted(runs.items())]
    if leaking_files > MAX_REPORTED:
        problems.append(Problem(label, None, f"... and {leaking_files - MAX_REPORTED} more files leak "
                                "member-only text", "fix the first ones; the rest likely share the cause"))
    return problems


def _leak_runs(segments: Sequence[Segment], leaks: dict[int, list[str]]) -> dict[str, Sequence[bytes]]:
    """The words of each post's first run of leaking shingles in one file."""
    runs: dict[str, tuple[int, int, int]] = {}  # post -> (segment, first shingle, last shingle)
    for number, words in enumerate(segments):
        for start, shingle in enumerate(segment_shingles(words)):
            for post in leaks.get(shingle, ()):
                segment, first, last = runs.setdefault(post, (number, start, start))
                if segment == number and last == start - 1:
                    runs[post] = (segment, first, start)
    return {post: segments[n][first : last + SHINGLE] for post, (n, first, last) in runs.items()}


def _leak_problem(where: str, post: str, words: Sequence[bytes]) -> Problem:
    quote = b" ".join(words[:QUOTE_WORDS]).decode("utf-8", "replace") + (" ..." if len(words) > QUOTE_WORDS else "")
    return Problem(where, None, f'leaks member-only text of {post}: "{quote}"',
                   "a template, feed, search index or file under content/ shows text only members may read")


def _file_tokens(rel: str, raw: bytes, known: dict[str, bytes], problems: list[Problem],
                 label: str, seen: SeenBlocks | None = None) -> list[bytes]:
    """The normalised words of one file: its name, its text, its long attribute values, blocks apart."""
    tokens = [*text_tokens(rel.encode()), BREAK_TOKEN]
    data = _searchable(rel, raw, f"{label}/{rel}", problems)
    if data is None:
        return tokens
    body = known.get(rel)
    if body is None or body not in data:
        return tokens + normal_tokens(data, seen)
    head, tail = _edges(body)  # cut the known public body out: its shingles are all public already
    parts = data.split(body)
    for i, part in enumerate(parts):
        tokens += normal_tokens((tail if i else b"") + part + (head if i < len(parts) - 1 else b""), seen)
        tokens.append(BREAK_TOKEN)
    return tokens


def _edges(body: bytes) -> tuple[bytes, bytes]:
    """The body's bytes before its first block tag and after its last: the words that join what is around it.

    They stay when the body is cut out of a page, so a run of words that crosses its edges is still searched.
    """
    head_end = next((tag.start() for tag in TAG.finditer(body) if not INLINE_TAG.fullmatch(tag[0])), len(body))
    end = len(body)
    while (start := body.rfind(b"<", 0, end)) >= 0:
        tag = TAG.match(body, start)
        if tag and not INLINE_TAG.fullmatch(tag[0]):
            return body[:head_end], body[tag.end():]
        end = start
    return body[:head_end], body


def _raw_bytes(public_dir: str, rel: str) -> bytes:
    with open(f"{public_dir}/{rel}", "rb") as handle:  # rel has forward slashes, which every system takes
        return handle.read()


def _searchable(rel: str, data: bytes, where: str, problems: list[Problem]) -> bytes | None:
    """The text of one file, decompressed; None for a binary file such as an image."""
    head = data[:HEAD_BYTES]
    if b"\x00" in head and not head.startswith(GZIP_MAGIC) and not rel.endswith(".br"):
        return None
    data = _inflate(rel, data, where, problems)
    return None if b"\x00" in data[:HEAD_BYTES] else data


def _inflate(path: str, data: bytes, where: str, problems: list[Problem]) -> bytes:
    """Undo gzip (found by its magic bytes, whatever the file's name) and brotli (.br files)."""
    if path.endswith(".br"):
        brotli = _brotli()
        if brotli is None:
            problems.append(Problem(where, None, "cannot search a brotli-compressed file: no brotli module",
                                    "pip install brotli (the audit fails rather than skip a file)"))
            return b""
        with contextlib.suppress(Exception):  # brotli has its own error type; a non-brotli file is read as is
            data = brotli.decompress(data)
    for _ in range(3):
        if not data.startswith(GZIP_MAGIC):
            break
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            break
    return data


def _brotli():  # type: ignore[no-untyped-def]
    for name in ("brotli", "brotlicffi"):
        with contextlib.suppress(ImportError):
            return importlib.import_module(name)
    return None
