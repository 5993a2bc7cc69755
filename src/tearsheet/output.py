"""{path: bytes} -> output/<tier>/: the one place that writes the built site to disk.

Everything is written into a staging folder beside the output first and swapped in only when
every file is written, so a failed or interrupted build leaves the previous output as it was.
"""

from __future__ import annotations

import os
import posixpath
import shutil
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass

from .errors import SiteError

STAGING_PREFIX = ".tearsheet-staging-"
RETIRED_PREFIX = ".tearsheet-retired-"


@dataclass(frozen=True, slots=True)
class CopyFile:
    """A file copied as it is (an image, a PDF) rather than bytes made by the build."""

    source: str


FileData = bytes | CopyFile


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
            or normal != path or "\x00" in path):
        raise SiteError.one(path, None, "output path would leave the output folder",
                            "use a slug of lowercase letters, digits and hyphens")
    return normal


def write_site(out_dir: str, trees: Mapping[str, Mapping[str, FileData]],
               before_swap: Callable[[str], None] | None = None) -> None:
    """Write each tier's files to out_dir/<tier>/, replacing the old tree only when all are written.

    `before_swap(staging_dir)` runs on the complete staged trees (staging_dir/<tier>/...), for steps
    that need files on disk (a search index, the paywall audit); if it raises, nothing is swapped in.
    """
    os.makedirs(out_dir, exist_ok=True)
    _remove_leftovers(out_dir)
    staging = os.path.join(out_dir, f"{STAGING_PREFIX}{os.getpid()}")
    retired = os.path.join(out_dir, f"{RETIRED_PREFIX}{os.getpid()}")
    try:
        for tier, files in trees.items():
            _write_tree(os.path.join(staging, tier), files)
        if before_swap is not None:
            before_swap(staging)
        os.makedirs(retired)
        for tier in trees:
            live = os.path.join(out_dir, tier)
            if os.path.exists(live):
                os.replace(live, os.path.join(retired, tier))
            os.replace(os.path.join(staging, tier), live)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(retired, ignore_errors=True)


def _write_tree(root: str, files: Mapping[str, FileData]) -> None:
    made: set[str] = set()
    for path in sorted(files):
        target = os.path.join(root, *path.split("/"))
        folder = os.path.dirname(target)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        data = files[path]
        if isinstance(data, CopyFile):
            shutil.copyfile(data.source, target)
        else:
            with open(target, "wb") as handle:
                handle.write(data)


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
