"""{path: bytes} -> output/<tier>/: the one place that writes the built site to disk.

Everything is written into a staging folder beside the output first and swapped in only when
every file is written, so a failed or interrupted build leaves the previous output as it was.

A rebuild need not write every file again. Given a bookkeeping folder (in the site's cache, on the
output's file system), the writer keeps there a manifest of what the output holds (each file's
content digest, size, mtime and inode) and the tree the build before last swapped out (the spare).
The next build stages into the spare: it rewrites only the files whose bytes differ, links files
unchanged since the live tree, deletes what is no longer built, then swaps the two. A tree whose
files do not match the manifest (edited, touched, partly deleted) is never trusted: it is staged
from scratch. When nothing would change, nothing is touched at all. The output folder itself holds
nothing but the tiers.

Staged files may be hard links to live ones, so nothing here ever writes into an existing file:
a changed file is written beside it and renamed over it. Before-swap steps may add files to the
staged trees (a search index) but must not change the ones the build wrote; a step that does
stops the swap.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import posixpath
import shutil
import stat as stat_module
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass

from .errors import SiteError
from .forked import ForkedCall
from .output_manifest import (
    TEMP_SUFFIX,
    Manifest,
    forget_manifest,
    read_manifest,
    read_patches,
    write_manifest,
    write_patches,
)

STAGING_PREFIX = ".tearsheet-staging-"
RETIRED_PREFIX = ".tearsheet-retired-"
SPARE_DIR = "spare"  # these three in the bookkeeping folder
LOCK_NAME = "lock"
STEP_MADE = ""  # the digest recorded for files a before-swap step made: never reused, only verified

Stat = tuple[int, int, int]  # size, mtime_ns, inode


@dataclass(frozen=True, slots=True)
class CopyFile:
    """A file copied as it is (an image, a PDF) rather than bytes made by the build."""

    source: str


@dataclass(frozen=True, slots=True)
class KeepFile:
    """A file the live output already holds with these bytes (their digest): kept, not made again."""

    digest: str


@dataclass(frozen=True, slots=True)
class StagedFile:
    """A file already written into the stage (by a page worker), with the digest of its bytes."""

    digest: str


FileData = bytes | CopyFile | KeepFile | StagedFile


@dataclass(frozen=True, slots=True)
class WriteReport:
    written: int  # files new or changed since the live trees (all of them when those were not as recorded)
    removed: int  # files of the live trees no longer built
    swapped: bool  # False when the output already held exactly these files
    changed: tuple[str, ...] = ()  # "tier/path" of each file written or removed


def add_files(files: MutableMapping[str, FileData], new: Mapping[str, FileData], what: str) -> None:
    """Merge `new` into `files`; two things may not claim one output path."""
    for path, data in new.items():
        checked = safe_output_path(path)
        if checked in files:
            raise SiteError.one(checked, None, f"two things want to write this file ({what} and another)",
                                "rename one of them: a page slug, tag or asset may not take a path the site uses")
        files[checked] = data


def safe_output_path(path: str) -> str:
    """Refuse paths that are absolute, climb out with '..', or hide a backslash."""
    normal = posixpath.normpath(path)
    if (not path or path.startswith("/") or "\\" in path or normal.startswith("..")
            or normal != path or "\x00" in path or path.endswith(TEMP_SUFFIX)):
        raise SiteError.one(path, None, "output path would leave the output folder",
                            "use a slug of lowercase letters, digits and hyphens")
    return normal


def digest_bytes(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def write_site(out_dir: str, trees: Mapping[str, Mapping[str, FileData]],
               before_swap: Callable[[str], None] | None = None, book_dir: str | None = None,
               signature: str = "") -> WriteReport:
    """Write each tier's files to out_dir/<tier>/, replacing the old tree only when all are written.

    `before_swap(staging_dir)` runs on the complete staged trees (staging_dir/<tier>/...), for steps
    that need files on disk (a search index, the paywall audit); if it raises, nothing is swapped in.
    Without `book_dir` the previous output is neither trusted nor kept: every file is written anew.
    `signature` names the code and steps that make the trees: output made by others is not reused.
    """
    with Stage(out_dir, tuple(trees), book_dir) as stage:
        return stage.commit(trees, before_swap, signature)


class Stage:
    """One build's view of the output folder: what the live trees hold, and the trees being staged.

    Use as a context manager; it holds a lock on the output folder until it is closed. Page workers
    forked while it is open write into `root(tier)` with `stage_file` and report back with `record`.
    """

    def __init__(self, out_dir: str, tiers: tuple[str, ...], book_dir: str | None = None,
                 list_ahead: bool = True) -> None:
        self.out_dir = os.path.abspath(out_dir)
        self.list_ahead = list_ahead  # list the trees on a forked child as soon as the stage opens (TreeScans)
        self.tiers = tiers
        self.book_dir = os.path.abspath(book_dir) if book_dir else None
        self.signature = ""  # of the output the manifest describes
        self.staging = os.path.join(self.out_dir, f"{STAGING_PREFIX}{os.getpid()}")
        self._lock: int | None = None
        self._manifest: Manifest = {"live": {}, "spare": {}}
        self._live: dict[str, dict[str, tuple[str, Stat]] | None] = {}
        self._staged: dict[str, dict[str, tuple[str, Stat | None]]] | None = None
        self._committed = False
        self._scans = TreeScans([])

    def __enter__(self) -> Stage:
        os.makedirs(self.out_dir, exist_ok=True)
        if self.book_dir is not None:
            os.makedirs(self.book_dir, exist_ok=True)
            self._lock = _take_lock(self.book_dir)
            if os.stat(self.book_dir).st_dev != os.stat(self.out_dir).st_dev:
                self.book_dir = None  # a spare on another file system cannot be swapped in by renaming
        _remove_leftovers(self.out_dir)
        if self.book_dir is not None:
            self._manifest, self.signature = read_manifest(self.book_dir)
            if self.list_ahead:  # listed while the build reads its sources
                self._scans = TreeScans(
                    [os.path.join(self.out_dir, tier) for tier in self.tiers if self._manifest["live"].get(tier)]
                    + [os.path.join(self.book_dir, SPARE_DIR, tier) for tier in self.tiers
                       if self._manifest["spare"].get(tier)])
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._scans.close()
            if not self._committed and self._staged is not None:
                self._shelve()
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)
            if self._lock is not None:
                os.close(self._lock)
                self._lock = None

    # What the live output holds

    def live(self, tier: str) -> dict[str, str]:
        """{path: digest} of the files the build wrote into the live tree, if it is as recorded; else {}."""
        files = self._verified_live(tier)
        return {path: digest for path, (digest, _) in (files or {}).items() if digest != STEP_MADE}

    def _verified_live(self, tier: str) -> dict[str, tuple[str, Stat]] | None:
        if tier not in self._live:
            recorded = self._manifest["live"].get(tier)
            root = os.path.join(self.out_dir, tier)
            self._live[tier] = _verify(root, recorded, self._scans.take(root)) if recorded else None
        return self._live[tier]

    def holds(self, signature: str) -> bool:
        """Whether the live trees are, unchanged, the output of a build with this signature."""
        return bool(signature) and signature == self.signature and all(
            self._verified_live(tier) is not None for tier in self.tiers)

    # The staged trees

    def root(self, tier: str) -> str:
        """The staged tree of one tier: the spare tree brought in, or an empty folder."""
        self._prepare()
        return os.path.join(self.staging, tier)

    def staged_digests(self, tier: str) -> dict[str, str]:
        """{path: digest} of what the staged tree holds now, for workers to skip unchanged writes."""
        self._prepare()
        assert self._staged is not None
        return {path: digest for path, (digest, _) in self._staged[tier].items()}

    def stage_tier(self, tier: str, files: Mapping[str, FileData]) -> None:
        """Stage one tier's files now, for a step to read them while the other tiers are made (see
        audit_fork); commit then finds them staged."""
        self._prepare()
        self._stage_tier(tier, files, {path: self._digest_of(data) for path, data in files.items()})

    def staged_state(self, tier: str) -> dict[str, tuple[str, Stat | None]]:
        """{path: (digest, stat)} of what the staged tree holds now, as a copy."""
        self._prepare()
        assert self._staged is not None
        return dict(self._staged[tier])

    def record(self, tier: str, path: str, digest: str, stat: Stat | None) -> None:
        """Note a file a worker wrote into (or found unchanged in) the staged tree."""
        assert self._staged is not None
        self._staged[tier][path] = (digest, stat if stat is not None else self._staged[tier][path][1])

    def _prepare(self) -> None:
        if self._staged is not None:
            return
        self._staged = {}
        os.makedirs(self.staging, exist_ok=True)
        spare = self._manifest["spare"]
        if self.book_dir is None:
            for tier in self.tiers:
                os.makedirs(os.path.join(self.staging, tier), exist_ok=True)
                self._staged[tier] = {}
            return
        for tier in self.tiers:
            found = os.path.join(self.book_dir, SPARE_DIR, tier)
            target = os.path.join(self.staging, tier)
            listed = self._scans.take(found)
            checked = _verify(found, spare.get(tier), listed) if spare.get(tier) and os.path.isdir(found) else None
            if checked is not None:
                os.replace(found, target)
                self._staged[tier] = {path: (digest, stat) for path, (digest, stat) in checked.items()}
            else:
                _discard(found)
                os.makedirs(target, exist_ok=True)
                self._staged[tier] = {}
        self._manifest["spare"] = {}
        forget_manifest(self.book_dir)  # the spare is in use: after a crash nothing is trusted

    def _shelve(self) -> None:
        """A build that failed leaves its staged trees as the spare, with what they now hold."""
        assert self._staged is not None
        if self.book_dir is None:
            return
        spare_root = os.path.join(self.book_dir, SPARE_DIR)
        kept: dict[str, dict[str, list]] = {}
        for tier, files in self._staged.items():
            source = os.path.join(self.staging, tier)
            if not os.path.isdir(source):
                continue
            os.makedirs(spare_root, exist_ok=True)
            _discard(os.path.join(spare_root, tier))
            os.replace(source, os.path.join(spare_root, tier))
            kept[tier] = {path: [digest, *stat] for path, (digest, stat) in files.items()}
        self._manifest["spare"] = kept  # verified against the folder before it is used again
        write_manifest(self.book_dir, self._manifest, self.signature)

    # Committing

    def commit(self, trees: Mapping[str, Mapping[str, FileData]],
               before_swap: Callable[[str], None] | None = None, signature: str = "",
               steps_write: bool = True) -> WriteReport:
        """Stage every tier's files, run the before-swap steps, swap the staged trees in.

        `signature` names the code and the steps: output that other code or steps finished is never
        taken as already done, though its files may still be reused. With `steps_write` False (the
        steps only read the staged trees: no search index to make), the staged trees are recorded as
        the build wrote them rather than read back; a tree that differs all the same is found out,
        and not trusted, by the next build.
        """
        wanted = {tier: {path: self._digest_of(data) for path, data in files.items()} for tier, files in trees.items()}
        if signature == self.signature and self._unchanged(wanted):
            self._committed = True
            if self._staged is not None:
                self._shelve()
            return WriteReport(0, 0, swapped=False)
        self._prepare()
        for tier, files in trees.items():
            self._stage_tier(tier, files, wanted[tier])
        changed = self._changes(wanted)
        if before_swap is not None:
            before_swap(self.staging)
        new_live = {tier: self._final_state(tier, wanted[tier]) if steps_write else self._as_staged(tier)
                    for tier in trees}
        self.signature = signature
        self._swap(new_live)
        self._committed = True
        written = sum(1 for _, _, gone in changed if not gone)
        return WriteReport(written, len(changed) - written, swapped=True,
                           changed=tuple(f"{tier}/{path}" for tier, path, _ in changed))

    def _digest_of(self, data: FileData) -> str:
        if isinstance(data, bytes):
            return digest_bytes(data)
        if isinstance(data, CopyFile):
            with open(data.source, "rb") as handle:
                return "c" + digest_bytes(handle.read())
        return data.digest

    def _unchanged(self, wanted: Mapping[str, Mapping[str, str]]) -> bool:
        """True when every live tree holds exactly the wanted files (and what steps added to them)."""
        for tier, files in wanted.items():
            live = self._verified_live(tier)
            if live is None:
                return False
            made = {path: digest for path, (digest, _) in live.items() if digest != STEP_MADE}
            if made != files:
                return False
        return bool(wanted)

    def _changes(self, wanted: Mapping[str, Mapping[str, str]]) -> list[tuple[str, str, bool]]:
        """(tier, path, removed) of each file new, changed or removed against the live trees."""
        changes: list[tuple[str, str, bool]] = []
        for tier, files in wanted.items():
            live = self.live(tier)
            changes += [(tier, path, False) for path, digest in files.items() if live.get(path) != digest]
            changes += [(tier, path, True) for path in sorted(live.keys() - files.keys())]
        return changes

    def _stage_tier(self, tier: str, files: Mapping[str, FileData], wanted: Mapping[str, str]) -> None:
        assert self._staged is not None
        root, staged = os.path.join(self.staging, tier), self._staged[tier]
        gone = sorted(set(staged) - set(wanted), reverse=True)
        for path in gone:
            _remove_file(root, path)
            del staged[path]
        _remove_empty_folders(root, gone)
        for path in sorted(wanted):
            data = files[path]
            if staged.get(path, ("", None))[0] == wanted[path]:
                continue
            if isinstance(data, StagedFile):
                raise AssertionError(f"{tier}/{path} was reported staged but is not in the staged tree")
            stat: Stat | None = None
            if isinstance(data, KeepFile):
                live_file = os.path.join(self.out_dir, tier, *path.split("/"))
                stat = _copy_over(live_file, os.path.join(root, *path.split("/"))) if path in staged else None
                if stat is None:
                    _link_into(os.path.join(self.out_dir, tier), root, path)
            elif isinstance(data, CopyFile):
                _replace_with(root, path, lambda target, d=data: shutil.copyfile(d.source, target))
            else:
                stat = _write_staged(root, path, data, path not in staged)
            staged[path] = (wanted[path], stat or _stat_of(os.stat(os.path.join(root, *path.split("/")))))

    def _as_staged(self, tier: str) -> dict[str, list]:
        assert self._staged is not None
        return {path: [digest, *stat] for path, (digest, stat) in self._staged[tier].items() if stat is not None}

    def _final_state(self, tier: str, wanted: Mapping[str, str]) -> dict[str, list]:
        """Stat every staged file; files the build did not make are the steps'. A step may not edit ours."""
        assert self._staged is not None
        staged = self._staged[tier]
        state: dict[str, list] = {}
        for path, stat in _scan(os.path.join(self.staging, tier)).items():
            digest = wanted.get(path, STEP_MADE)
            before = staged.get(path, ("", None))[1]
            if digest != STEP_MADE and before is not None and before != stat:
                raise SiteError.one(f"output/{tier}/{path}", None,
                                    "a before-swap step changed a file the build wrote",
                                    "steps may add files to the staged tree, never edit the build's own")
            state[path] = [digest, *stat]
        missing = set(wanted) - set(state)
        if missing:
            raise SiteError.one(f"output/{tier}/{min(missing)}", None,
                                "a before-swap step removed a file the build wrote",
                                "steps may add files to the staged tree, never remove the build's own")
        return state

    def _swap(self, new_live: dict[str, dict[str, list]]) -> None:
        """Swap the staged trees in; the trees they replace become the spare when they were as recorded."""
        old_live = self._manifest["live"]
        self._manifest = {"live": {}, "spare": {}}
        if self.book_dir is not None:
            forget_manifest(self.book_dir)  # mid-swap nothing is as recorded
        retired = os.path.join(self.out_dir, f"{RETIRED_PREFIX}{os.getpid()}")
        os.makedirs(retired, exist_ok=True)
        spare: dict[str, dict[str, list]] = {}
        for tier in new_live:
            live = os.path.join(self.out_dir, tier)
            was_verified = self._verified_live(tier) is not None
            if os.path.lexists(live):
                os.replace(live, os.path.join(retired, tier))
            os.replace(os.path.join(self.staging, tier), live)
            if was_verified and self.book_dir is not None:
                spare_root = os.path.join(self.book_dir, SPARE_DIR)
                os.makedirs(spare_root, exist_ok=True)
                _discard(os.path.join(spare_root, tier))
                os.replace(os.path.join(retired, tier), os.path.join(spare_root, tier))
                spare[tier] = old_live[tier]
        shutil.rmtree(retired, ignore_errors=True)
        self._manifest = {"live": new_live, "spare": spare}
        if self.book_dir is not None:
            write_manifest(self.book_dir, self._manifest, self.signature)


def patch_live(out_dir: str, book_dir: str, files: Mapping[str, Mapping[str, bytes]]) -> tuple[str, ...]:
    """Replace a few files of the live trees in place, outside a build; return "tier/path" of those changed.

    For a preview, whose tabs should see an edit before the full rebuild that follows. Each file is
    swapped in by renaming and noted in a patch list beside the manifest (the manifest is large), which
    the next build reads as part of it; a patched output is never taken as already made. Takes the
    output's lock: never while a build of it runs.
    """
    lock = _take_lock(book_dir)
    try:
        patches = read_patches(book_dir) or {}
        changed: list[str] = []
        for tier, tree in files.items():
            live_root = os.path.join(out_dir, tier)
            if not os.path.isdir(live_root):
                continue
            for path, data in tree.items():
                target = os.path.join(live_root, *path.split("/"))
                if not os.path.isfile(target):
                    continue  # not a page of the live tree: the full rebuild makes it
                with open(target, "rb") as handle:
                    if handle.read() == data:
                        continue
                target = _replace_with(live_root, path, lambda temp, d=data: _write_bytes(temp, d))
                patches.setdefault(tier, {})[path] = [digest_bytes(data), *_stat_of(os.stat(target))]
                changed.append(f"{tier}/{path}")
        if changed:
            write_patches(book_dir, patches)
    finally:
        os.close(lock)
    return tuple(changed)


def _take_lock(book_dir: str) -> int:
    """The output's lock (a file in the bookkeeping folder), held until the returned descriptor is closed."""
    lock = os.open(os.path.join(book_dir, LOCK_NAME), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
    except BaseException:
        os.close(lock)
        raise
    return lock


def stage_file(root: str, path: str, data: bytes, current: str | None,
               digest: str | None = None) -> tuple[str, Stat | None]:
    """Write one file into a staged tree unless it already holds these bytes; return (digest, stat).

    Safe to call from a forked worker: it touches only `path` (and folders on the way to it).
    """
    digest = digest or digest_bytes(data)
    if digest == current:
        return digest, None
    return digest, _write_staged(root, path, data, current is None)


def _write_staged(root: str, path: str, data: bytes, new: bool) -> Stat:
    """Write a file of a staged tree: a new one at once, one only this tree has in place, else beside and renamed."""
    target = os.path.join(root, *path.split("/"))
    stat = _write_new(root, path, target, data) if new else _overwrite(target, data)
    if stat is None:
        stat = _stat_of(os.stat(_replace_with(root, path, lambda temp: _write_bytes(temp, data))))
    return stat


def _copy_over(source: str, target: str) -> Stat | None:
    """A live file's bytes written over the staged tree's own file at its place; None when it cannot be.

    Cheaper here than linking the live file in (which frees the old file's blocks), and the two trees
    then share nothing that a later build could have to replace rather than write into.
    """
    try:
        with open(source, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    return _overwrite(target, data)


def _overwrite(target: str, data: bytes) -> Stat | None:
    """Write over a regular file in place when no other name shares it; None when it cannot be.

    Far cheaper than a new file renamed over the old on ext4 (no blocks freed and allocated again),
    and safe in a staged tree: its files linked to the live tree (two names) are never written into.
    """
    try:
        fd = os.open(target, os.O_WRONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        before = os.fstat(fd)
        if before.st_nlink != 1 or not stat_module.S_ISREG(before.st_mode):
            return None
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        if before.st_size > len(data):
            os.ftruncate(fd, len(data))
        return _stat_of(os.fstat(fd))
    finally:
        os.close(fd)


def _write_new(root: str, path: str, target: str, data: bytes) -> Stat | None:
    """Write a file that does not exist yet (no other name can share it); None if something is there."""
    _clear_way(root, path)
    try:
        with open(target, "xb") as handle:
            handle.write(data)
            handle.flush()
            return _stat_of(os.fstat(handle.fileno()))
    except (FileExistsError, IsADirectoryError):
        return None


def clean_output(out_dir: str, tiers: tuple[str, ...]) -> list[str]:
    """Remove the tiers and any leftovers of interrupted builds; return what was removed."""
    removed: list[str] = []
    if not os.path.isdir(out_dir):
        return removed
    names = [*tiers, *(n for n in os.listdir(out_dir) if n.startswith((STAGING_PREFIX, RETIRED_PREFIX)))]
    for name in names:
        path = os.path.join(out_dir, name)
        if os.path.lexists(path):
            _discard(path)
            removed.append(path)
    with contextlib.suppress(OSError):
        os.rmdir(out_dir)  # only when nothing else was in it
    return removed


# Files and folders

def _write_bytes(target: str, data: bytes) -> None:
    with open(target, "wb") as handle:
        handle.write(data)


def _replace_with(root: str, path: str, make: Callable[[str], None]) -> str:
    """Make a file at root/path through a temporary name, never writing into an existing file."""
    target = os.path.join(root, *path.split("/"))
    _clear_way(root, path)
    temp = target + TEMP_SUFFIX
    make(temp)
    if os.path.isdir(target) and not os.path.islink(target):
        shutil.rmtree(target)
    os.replace(temp, target)
    return target


def _link_into(live_root: str, root: str, path: str) -> None:
    source = os.path.join(live_root, *path.split("/"))

    def link(temp: str) -> None:
        try:
            os.link(source, temp)
        except OSError:
            shutil.copyfile(source, temp)

    _replace_with(root, path, link)


def _clear_way(root: str, path: str) -> None:
    """Make the folders leading to root/path, removing a file that stands where a folder must go.

    Workers call this at once for different paths, so a folder another one just made is fine.
    """
    parts = path.split("/")[:-1]
    try:
        os.makedirs(os.path.join(root, *parts), exist_ok=True)
        return
    except (FileExistsError, NotADirectoryError):
        pass
    folder = root
    for part in parts:
        folder = os.path.join(folder, part)
        if os.path.lexists(folder) and (os.path.islink(folder) or not os.path.isdir(folder)):
            os.remove(folder)  # a file of the old tree where this build has a folder
    os.makedirs(os.path.join(root, *parts), exist_ok=True)


def _remove_file(root: str, path: str) -> None:
    """Remove a file of the old tree; where this build made a folder in its place, leave the folder."""
    target = os.path.join(root, *path.split("/"))
    if os.path.isdir(target) and not os.path.islink(target):
        return
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        os.remove(target)


def _remove_empty_folders(root: str, removed: list[str]) -> None:
    """Remove the folders that held removed files, and their parents, when nothing is left in them."""
    folders = {posixpath.dirname(path) for path in removed}
    for folder in sorted(folders, key=len, reverse=True):
        while folder:
            try:
                os.rmdir(os.path.join(root, *folder.split("/")))
            except OSError:
                break
            folder = posixpath.dirname(folder)


def _discard(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.remove(path)


def _stat_of(st: os.stat_result) -> Stat:
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _scan(root: str) -> dict[str, Stat]:
    """{relative path: stat} of every file under root (symlinks and special files included as found)."""
    found: dict[str, Stat] = {}
    stack = [("", root)]
    while stack:
        prefix, folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    stack.append((rel + "/", entry.path))
                else:
                    found[rel] = _stat_of(entry.stat(follow_symlinks=False))
    return found


class TreeScans:
    """_scan of some trees, made by a forked child while the build goes on (reading its sources, say), so a
    one-edit build's check of its four trees (26,000 files at 4,000 posts) costs it no time.

    Each listing is taken once (`take`), by the check it was made for: a tree listed earlier than that
    check is no different from one listed at it, as a build never writes into a live or spare tree
    before checking it. Where no child could list them (see ForkedCall), each check lists its tree itself.
    """

    def __init__(self, roots: list[str]) -> None:
        self._call = ForkedCall(lambda: {root: _scan_or_none(root) for root in roots}) if roots else None
        self._found: dict[str, dict[str, Stat]] | None = None

    def take(self, root: str) -> dict[str, Stat] | None:
        """The listing of a tree (None: list it now), once."""
        if self._found is None:
            answer = self._call.result() if self._call is not None else None
            found = answer[0] if answer is not None else {}
            self._found = {root: listing for root, listing in found.items() if listing is not None}
        return self._found.pop(root, None)

    def close(self) -> None:
        """End the child if it is still there (a build that failed, or Ctrl-C)."""
        if self._call is not None:
            self._call.close()
        self._found = {}


def _scan_or_none(root: str) -> dict[str, Stat] | None:
    """_scan of a tree, or None where there is no folder (or a link to one) or it cannot be read."""
    if not os.path.isdir(root) or os.path.islink(root):
        return None
    try:
        return _scan(root)
    except OSError:
        return None


def _verify(root: str, recorded: Mapping[str, list] | None,
            listed: dict[str, Stat] | None = None) -> dict[str, tuple[str, Stat]] | None:
    """The recorded files of a tree if the tree holds exactly them, unchanged; else None.

    `listed`: the tree's _scan, if it was made already (see TreeScans)."""
    if not recorded or not os.path.isdir(root) or os.path.islink(root):
        return None
    found = listed if listed is not None else _scan_or_none(root)
    if found is None or len(found) != len(recorded):
        return None
    checked: dict[str, tuple[str, Stat]] = {}
    for path, stat in found.items():
        entry = recorded.get(path)
        if entry is None or tuple(entry[1:]) != stat:
            return None
        checked[path] = (entry[0], stat)
    return checked


def _remove_leftovers(out_dir: str) -> None:
    """Clear staging folders that an interrupted earlier build could not remove."""
    for name in os.listdir(out_dir):
        if name.startswith((STAGING_PREFIX, RETIRED_PREFIX)) and not _owner_alive(name):
            shutil.rmtree(os.path.join(out_dir, name), ignore_errors=True)


def _owner_alive(name: str) -> bool:
    """A folder named after a running build (say a preview server's) is not ours to remove."""
    pid = name.rsplit("-", 1)[-1]
    if not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, PermissionError, OverflowError):
        return False
    return True
