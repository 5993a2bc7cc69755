"""The paywall audit: search every file of the public tree for the member-only text of plus posts.

A second gate, independent of templates: whatever a template, feed or search index wrote, the
finished public tree is read back and compared with what members alone may read.

Text is compared in shingles, overlapping runs of 8 words, after normalising: tags stripped (comments
and long attribute values kept), entities and JSON escapes decoded, gzip and brotli undone, case folded
and split into runs of letters and digits, so curly and straight quotes, dashes and ellipses separate
words alike. A shingle of a plus post's full edition is member-only unless the public may read it
anyway: in the post's teaser, title, description or tags, in any free post, page or other teaser, or in
the site's own words in site.toml.

The stages live beside this module: member_shingles.py (each plus post's member-only shingles, sorted
into one index), public_tree.py (the public tree read back as shingles, blocks apart), audit_memory.py
(what the last passing audit learnt, so the next reads only files, blocks and posts it has not seen).
Here: the inputs, the hits, the public text that excuses them, and the report naming file and post.

A hit that involves what the memory remembers is checked again from scratch, so the memory can make
an audit faster, never laxer. Cost: see the README's "The paywall audit".
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import itertools
import os
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from .audit_memory import AuditMemory
from .cache import file_signature
from .config import SiteConfig
from .errors import Problem, SiteError
from .member_shingles import (
    Buffer,
    MemberIndex,
    MembersAhead,
    known_members,
    member_shingles,
    members_ahead,
    with_members,
)
from .parallel import default_jobs, run_tasks
from .public_tree import BLOCK_KEY, FILE_KEY, file_tokens, raw_bytes, read_files, tree_files
from .render import RenderedBody, RenderedPost
from .shingles import (
    EMPTY,
    SHINGLE,
    Segment,
    among_sorted,
    normal_words,
    segment_shingles,
    segments_of,
    shingles,
    sorted_unique,
)
from .site import address_of, base_path

MADE_SUFFIXES = (".html", ".htm", ".xml", ".json", ".js", ".css", ".webmanifest")  # what templates and feeds make
QUOTE_WORDS = 16  # the most words of a leak an error message quotes
MAX_REPORTED = 20  # files named before "... and N more"
FEW_POSTS = 500  # posts left to shingle that the workers reading the tree take on too (see audit_tree)
SKIP_KNOWN_BELOW = 500  # packed bytes (about 2,000 of HTML): a shorter public body is cheaper to read than cut out

@dataclass(frozen=True, slots=True)
class AuditInput:
    """What the audit knows: the plus posts' editions and every text the public may see."""

    plus: tuple[RenderedPost, ...]  # posts whose public edition leaves something out
    public_texts: tuple[str, ...]  # plain text shown to the public (titles, tags, site words)
    public_bodies: tuple[RenderedBody, ...]  # the public edition of every post and page
    known: tuple[tuple[str, bytes], ...]  # (public file, public body it shows, packed), cut out before searching
    site_dir: str = ""  # whose templates a leak's words are looked up in, for the hint (see _locate)


def audit_input(config: SiteConfig, posts: Sequence[RenderedPost], pages: Sequence[RenderedPost],
                site_dir: str = "") -> AuditInput:
    """Collect what the audit compares: member editions on one side, public text on the other."""
    texts = [*_site_words(config)]
    known = []
    root = base_path(config)
    for post in [*posts, *pages]:
        meta = post.meta
        texts += [meta.title, meta.description, *meta.tags, meta.series]
        url = address_of(config, meta)
        if len(post.public.packed_html) >= SKIP_KNOWN_BELOW:
            known.append((_file_for(url, root), post.public.packed_html))
    public_bodies = tuple(p.public for p in [*posts, *pages])
    return AuditInput(plus_posts(posts), tuple(t for t in texts if t), public_bodies, tuple(known), site_dir)


def plus_posts(posts: Sequence[RenderedPost]) -> tuple[RenderedPost, ...]:
    """The posts whose public edition leaves something out."""
    return tuple(p for p in posts if p.public is not p.full)


def audit_ahead(posts: Sequence[RenderedPost], jobs: int) -> MembersAhead | contextlib.nullcontext[None]:
    """Start on the plus posts' member shingles on a core the build leaves idle, for an audit with no
    memory (see MembersAhead): a context for the caller to close, holding None when it is not worth a
    process."""
    return members_ahead(plus_posts(posts), jobs)


def _site_words(config: SiteConfig) -> Iterator[str]:
    """Words of site.toml that any public page may show."""
    yield from (config.title, config.description, config.copyright, config.disclaimer)
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
               memory: AuditMemory | None = None, started: float | None = None,
               ahead: MembersAhead | None = None, site_dir: str = "") -> Callable[[str], None]:
    """A before-swap step for the writer: audit the staged public tree; a leak stops the swap.

    timings["audit"] is the time the step runs, the time since `started` (the caller's clock before it
    imported the audit, less the time it gave to starting `ahead`) that it took to get ready, and the
    time `ahead` took to stop: the audit's cost to a build's wall time, bar what `ahead` costs the
    build's other processes (it runs on a core they leave idle, yet they share the memory's bandwidth).
    """
    begun = time.perf_counter() if started is None else started
    audit = audit_input(config, posts, pages, site_dir)
    preparing = time.perf_counter() - begun

    def run(staging_dir: str) -> None:
        start = time.perf_counter()
        try:
            check_public_tree(os.path.join(staging_dir, "public"), audit, jobs=jobs, memory=memory, ahead=ahead)
        finally:
            if timings is not None:
                timings["audit"] = preparing + time.perf_counter() - start + (ahead.seconds if ahead else 0.0)

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
    from .parallel import BodyRenderer

    public_dir = os.path.join(out_dir, "public")
    if not os.path.isdir(public_dir):
        raise SiteError.one(out_dir, None, "no public/ folder here to audit",
                            "pass the folder `tearsheet build --out` wrote (default: SITE_DIR/output)")
    config = read_config(site_dir)
    jobs = default_jobs()
    with BodyRenderer(config.raw_html, jobs) as bodies:  # every body afresh (no cache), on every core
        source = read_content(site_dir, config, bodies.parse)
        source, _ = apply_access_rules(source, now or dt.datetime.now(dt.UTC))
        posts, pages = bodies.render(source)
    audit = audit_input(config, posts, pages, site_dir)
    problems = audit_tree(public_dir, audit, os.path.relpath(public_dir), jobs)
    return AuditReport(sum(1 for _ in tree_files(public_dir)), len(audit.plus), tuple(problems))


def check_public_tree(public_dir: str, audit: AuditInput, label: str = "public", jobs: int = 1,
                      memory: AuditMemory | None = None, ahead: MembersAhead | None = None) -> None:
    """Raise a SiteError naming every file of the public tree that shows member-only text."""
    problems = audit_tree(public_dir, audit, label, jobs, memory, ahead)
    if problems:
        raise SiteError(problems)


def audit_tree(public_dir: str, audit: AuditInput, label: str = "public", jobs: int = 1,
               memory: AuditMemory | None = None, ahead: MembersAhead | None = None,
               listed: Iterable[str] | None = None) -> list[Problem]:
    """One problem per (file, post) where a file of the tree shows some of a post's member-only text.

    `listed`: every file of the tree, where the caller knows them (the stage that made the tree, having
    checked the spare tree it started from holds exactly what it recorded): the tree is not walked again.

    With jobs > 1 the files and the posts are shared out among forked processes. Given the memory
    of the last passing audit, files it read are not read again and posts it knew are not shingled
    again; a hit that involves what it remembers is checked again from scratch. Posts `ahead` shingled
    already (see MembersAhead) are not shingled again.
    """
    problems: list[Problem] = []
    if not audit.plus:
        return problems  # no post has member-only text
    files = sorted(tree_files(public_dir) if listed is None else listed)
    if memory is not None and memory.outgrown():
        memory.forget()  # much of what it remembers is gone from the tree: read it all again
    remembered = frozenset(memory.files) if memory is not None else frozenset()
    blocks = frozenset(memory.blocks) if memory is not None else frozenset()
    # taken before any file is read: a file written after it has a new signature, and is read next time
    signatures = {rel: file_signature(f"{public_dir}/{rel}") for rel in files} if memory is not None else {}
    file_keys: dict[str, bytes] = {}  # a file's key, by its name
    if memory is not None and remembered:  # a file as the last audits saw it, bytes they read: not read again
        file_keys = {rel: key for rel in files
                     if (key := memory.known_key(rel, signatures[rel])) is not None and key in remembered}
    unread = [rel for rel in files if rel not in file_keys]
    known = dict(audit.known)
    first = memory is None or not memory.posts
    members = ahead.index if ahead is not None and first and ahead.plus == audit.plus else known_members(
        audit.plus, memory)  # (MembersAhead keyed the very same posts for an audit with no memory)
    new_blocks: set[bytes] = set()
    fresh: list[np.ndarray] = [EMPTY]
    added = members.added.tolist()
    member_parts: list[tuple[Buffer, Buffer]] = []
    if ahead is not None:  # stopped now: while the files are read, it would get no core anyway
        done, member_parts = ahead.take(members)
        added = added[done:]
    # one part of the files a worker, then the posts left in smaller parts, taken as workers finish
    file_parts = _even_runs(public_dir, unread, signatures, jobs) if jobs > 1 else [unread]
    post_parts = [added[i :: jobs * 4] for i in range(jobs * 4)] if jobs > 1 else [added]
    read_state = (public_dir, known, label, remembered, blocks)
    post_tasks = [(member_shingles, part, audit.plus) for part in post_parts if part]
    with_files = len(added) < FEW_POSTS  # else on workers of their own, after: the build's peak memory is less
    tasks = [*((read_files, part, read_state) for part in file_parts if part), *(post_tasks if with_files else ())]
    for index, result in run_tasks(tasks, jobs):
        function, part, _ = tasks[index]
        if function is member_shingles:
            member_parts.append(result)
            continue
        part_keys, part_blocks, found, file_problems = result
        file_keys.update(zip(part, (part_keys[i : i + FILE_KEY] for i in range(0, len(part_keys), FILE_KEY)),
                             strict=True))
        new_blocks.update(part_blocks[i : i + BLOCK_KEY] for i in range(0, len(part_blocks), BLOCK_KEY))
        fresh.append(np.frombuffer(found, dtype=np.uint64))
        problems += file_problems
    if not with_files:
        member_parts += [result for _, result in run_tasks(post_tasks, jobs)]
    keys = set(file_keys.values())
    members = with_members(members, member_parts)
    shown = sorted_unique(np.concatenate(fresh))
    remembering = bool(remembered or blocks)
    hits, owners = _hits(members, shown, memory if remembering else None)
    leaks = _leaks(audit, hits, owners)
    if leaks and remembering:
        assert memory is not None
        memory.forget()
        return audit_tree(public_dir, audit, label, jobs, memory, listed=files)  # it may be stale: read it all
    if leaks:
        problems += _locate(public_dir, files, known, leaks, label, audit.site_dir)
    if memory is not None and not problems:
        segments = [*memory.shown, shown] if len(shown) else memory.shown
        # the files of this tree only; blocks and shingles of earlier ones too, until they outgrow it
        stats = {rel: (signature, file_keys[rel]) for rel, signature in signatures.items() if signature is not None}
        memory.save(keys, memory.blocks | new_blocks, segments, members.keys, members.parts, hits, owners, stats)
    return problems


def _even_runs(public_dir: str, files: list[str], signatures: dict[str, tuple[int, ...] | None],
               parts: int) -> list[list[str]]:
    """The files (sorted) in runs of about the same number of bytes. A run holds files alike (a site's
    pages, its lists, its feeds), and a block a reader has read once (a summary on many lists, an item
    in many feeds) it need not read again: at 4,000 posts, runs read in 5% less time than every other file."""
    sizes = []
    for rel in files:
        signature = signatures.get(rel) or file_signature(f"{public_dir}/{rel}")
        sizes.append(signature[2] if signature else 0)
    totals = list(itertools.accumulate(sizes))
    total = totals[-1] if totals else 0
    cuts = [0, *(bisect.bisect_left(totals, total * n / parts) for n in range(1, parts)), len(files)]
    return [files[start:end] for start, end in itertools.pairwise(cuts)]


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
        fresh = members.parts[len(members.parts) - members.fresh :]
        new_hashes = np.concatenate([EMPTY, *(hashes for hashes, _ in fresh)])
        new_owners = np.concatenate([np.zeros(0, np.int32), *(owners for _, owners in fresh)])
        for segment in memory.shown:
            found = among_sorted(new_hashes, segment)
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
    found = [(hashes[at], owners[at]) for hashes, owners in members.parts if (at := among_sorted(hashes, shown)).any()]
    return (np.concatenate([EMPTY, *(h for h, _ in found)]),
            np.concatenate([np.zeros(0, np.int32), *(o for _, o in found)]))


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
        bodies = (body.html for body in sorted(audit.public_bodies, key=_packed_size))  # unpacked one at a time
        _drop_public(leaks, words, itertools.chain(sorted(audit.public_texts, key=len), bodies))
    return dict(leaks)


def _packed_size(body: RenderedBody) -> int:
    return len(body.packed_html)


def _shingle_words(segments: Iterable[Segment], wanted: set[int]) -> Iterator[tuple[int, Sequence[bytes]]]:
    for words in segments:
        for start, shingle in enumerate(segment_shingles(words)):
            if shingle in wanted:
                yield shingle, words[start : start + SHINGLE]


def _drop_public(hits: dict[int, list[str]], words: dict[int, Sequence[bytes]], public_texts: Iterable[str]) -> None:
    """A shingle the public may read elsewhere (a free post quotes it, say) is not a leak."""
    keys = {max((w for w in words[h] if w.isascii()), key=len, default=b"") for h in hits}
    prefilter = None if b"" in keys else re.compile("|".join(re.escape(k.decode()) for k in keys), re.IGNORECASE)
    for text in public_texts:  # titles and teasers first: they settle most
        if prefilter is not None and not prefilter.search(text):
            continue  # cannot hold a shingle without its longest word
        for shingle in set(hits).intersection(shingles(normal_words(text))):
            del hits[shingle]
        if not hits:
            return


def _locate(public_dir: str, files: Sequence[str], known: dict[str, bytes], leaks: dict[int, list[str]],
            label: str, site_dir: str = "") -> list[Problem]:
    """Read the tree again and name each leaking file, post and a quote of the text."""
    problems: list[Problem] = []
    leaking_files = 0
    written = _written_by_templates(site_dir, leaks) if site_dir else {}
    for rel in files:
        runs = _leak_runs(segments_of(file_tokens(rel, raw_bytes(public_dir, rel), known, [], label)), leaks)
        if not runs:
            continue
        leaking_files += 1
        if leaking_files <= MAX_REPORTED:
            problems += [_leak_problem(f"{label}/{rel}", post, words, _template_of(words, written),
                                       _static_source(rel, site_dir))
                         for post, words in sorted(runs.items())]
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


def _written_by_templates(site_dir: str, leaks: dict[int, list[str]]) -> dict[int, str]:
    """{shingle: the template that writes it as it stands} of the leaking shingles templates write."""
    from .templates import template_words  # here: only an audit that found a leak needs Jinja's parser

    written: dict[int, str] = {}
    for name, text in template_words(site_dir):
        for shingle in leaks.keys() & set(shingles(normal_words(text))):
            written.setdefault(shingle, name)
    return written


def _template_of(words: Sequence[bytes], written: dict[int, str]) -> str:
    """The template that writes a run of words as it stands, if one does."""
    return next((written[s] for s in segment_shingles(words) if s in written), "") if written else ""


def _static_source(rel: str, site_dir: str) -> str:
    """The file of the site's static/ folder a public file was copied from, as "static/NAME" ("" if none)."""
    if not site_dir or not rel.startswith("assets/"):
        return ""
    name = rel[len("assets/"):]
    stem, ext = os.path.splitext(name)
    for candidate in (name, f"{os.path.splitext(stem)[0]}{ext}"):  # as named, or without its fingerprint
        if os.path.isfile(os.path.join(site_dir, "static", *candidate.split("/"))):
            return f"static/{candidate}"
    return ""


def _leak_problem(where: str, post: str, words: Sequence[bytes], template: str = "", static: str = "") -> Problem:
    quote = b" ".join(words[:QUOTE_WORDS]).decode("utf-8", "replace") + (" ..." if len(words) > QUOTE_WORDS else "")
    hint = "a template, feed, search index or file under content/ shows text only members may read"
    made = where.lower().endswith(MADE_SUFFIXES) or "/pagefind/" in where or "/assets/" in where  # (static/ files)
    if static:  # copied as it is to both sites
        hint = (f"it is {static}, which both sites have as it stands: take the members' words out of it, or, for "
                "members only, move it under content/ and link to it only after a plus post's cut (<!--more-->)")
    elif template:  # a disclaimer a theme prints, say, which plus posts repeat after the cut
        hint = (f"the template {template} writes these words as they stand: if they are the site's own (a "
                "disclaimer), set them as `disclaimer` in site.toml, which the built-in theme prints under every "
                "page ({{ config.disclaimer }}) and the audit takes as public, and take them out of the template; "
                "if they are the post's, take them out of the template")
    elif not made:  # a file under content/: a PDF, a zip, a note
        hint = ("public text links to this file (a free post, a teaser, a page, or a page or stylesheet of the "
                "public site loads it), so the public site has it: if it is for members, link to it only after the "
                "teaser's cut (<!--more-->); if it is a public source the post quotes, link to the original "
                "rather than a copy, or quote it in the teaser")
    return Problem(where, None, f'leaks member-only text of {post}: "{quote}"', hint)
