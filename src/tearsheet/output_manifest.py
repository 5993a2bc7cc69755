"""The writer's record of the output on disk: the manifest of the live and spare trees, and the patch list.

The manifest (in the bookkeeping folder, see output.py) holds each file's content digest, size,
mtime and inode, for the live tree and the spare, and the signature of the build that made them. It is
a checked file (checked.py) of marshal data: at 4,000 posts (26,000 files) it is read and written in
18 ms, where JSON took 47 ms. A preview's fast render replaces a few live files between builds and
notes them in a small patch list beside it rather than rewriting the manifest; reading the manifest
takes the list in, and a patched output carries no signature. Anything damaged reads as an empty
manifest: nothing is trusted.
"""

from __future__ import annotations

import contextlib
import json
import marshal
import os
from collections.abc import Mapping

from .checked import read_checked_file, write_checked_file

MANIFEST_NAME = "manifest"
MANIFEST_HEADER = b"tearsheet manifest 2\n"
OLD_MANIFEST_NAME = "manifest.json"  # the JSON manifest of tearsheet before 2026-12: never read
PATCHES_NAME = "patched.json"  # live files a preview replaced since the manifest was written
TEMP_SUFFIX = ".tearsheet-tmp"

Manifest = dict[str, dict[str, dict[str, list]]]  # {"live" | "spare": {tier: {path: [digest, size, mtime, inode]}}}


def read_manifest(book_dir: str) -> tuple[Manifest, str]:
    """The manifest and its signature if it is whole and well-formed; else an empty one."""
    empty: Manifest = {"live": {}, "spare": {}}
    payload = read_checked_file(os.path.join(book_dir, MANIFEST_NAME), MANIFEST_HEADER)
    try:
        data = marshal.loads(payload) if payload is not None else None
    except (ValueError, EOFError, TypeError):
        return empty, ""
    if not isinstance(data, dict):
        return empty, ""
    if not isinstance(data.get("signature"), str):
        return empty, ""
    manifest = {}
    for side in ("live", "spare"):
        trees = data.get(side)
        if not isinstance(trees, dict) or not all(_well_formed(files) for files in trees.values()):
            return empty, ""
        manifest[side] = trees
    if not os.path.exists(os.path.join(book_dir, PATCHES_NAME)):
        return manifest, data["signature"]
    patches = read_patches(book_dir)
    if patches is None:
        return empty, ""
    for tier, files in patches.items():
        manifest["live"].setdefault(tier, {}).update(files)
    return manifest, ""  # a patched output is not what any build made


def read_patches(book_dir: str) -> dict[str, dict[str, list]] | None:
    """The patch list beside the manifest ({} when there is none); None when it is damaged."""
    try:
        with open(os.path.join(book_dir, PATCHES_NAME), encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not all(_well_formed(files) for files in data.values()):
        return None
    return data


def _well_formed(files: object) -> bool:
    return isinstance(files, dict) and all(map(_well_formed_entry, files.values()))


def _well_formed_entry(entry: object) -> bool:
    """[digest, size, mtime, inode]: 26,000 of them at 4,000 posts, so checked without a loop of its own."""
    return (type(entry) is list and len(entry) == 4 and type(entry[0]) is str and type(entry[1]) is int
            and type(entry[2]) is int and type(entry[3]) is int)


def write_manifest(book_dir: str, manifest: Mapping[str, object], signature: str) -> None:
    for name in (PATCHES_NAME, OLD_MANIFEST_NAME):  # the manifest holds what the list said; the old one is stale
        with contextlib.suppress(FileNotFoundError):
            os.remove(os.path.join(book_dir, name))
    write_checked_file(os.path.join(book_dir, MANIFEST_NAME), MANIFEST_HEADER,
                       marshal.dumps({"signature": signature, **manifest}))


def write_patches(book_dir: str, patches: Mapping[str, object]) -> None:
    _write_json(os.path.join(book_dir, PATCHES_NAME), patches)


def _write_json(path: str, value: Mapping[str, object]) -> None:
    """Write a file whole or not at all."""
    with open(path + TEMP_SUFFIX, "w", encoding="utf-8") as handle:
        # dumps, not dump: only the one-shot encoder is the fast one written in C
        handle.write(json.dumps(value, separators=(",", ":")))
    os.replace(path + TEMP_SUFFIX, path)


def forget_manifest(book_dir: str) -> None:
    for name in (MANIFEST_NAME, PATCHES_NAME):
        with contextlib.suppress(FileNotFoundError):
            os.remove(os.path.join(book_dir, name))
