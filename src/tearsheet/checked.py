"""Files written whole or not at all, that show when they are damaged: a header naming what they hold, the
CRC-32 and length of the payload, then the payload. Used by the cache (cache.py) and the output's manifest
(output_manifest.py)."""

from __future__ import annotations

import mmap
import os
import zlib

CHECKSUM_SIZE = 12  # CRC-32 and length of the payload (see checksum_of)


def checksum_of(payload: bytes | memoryview, padding: int = 0) -> bytes:
    """What a checked file holds to show its payload is whole: its CRC-32 and its length (`padding` zero
    bytes before it count as part of it: see write_checked_file).

    It guards against damage (a disk's, a copy's, a hand's), as in gzip and zip files, not against
    forgery: whoever can write the cache can write the output too. A one-edit build at 4,000 posts
    checks 100 MB of cache: 0.08 s with BLAKE2b, 0.02 s with CRC-32. Names that must tell contents
    apart (the audit's arrays) take a cryptographic digest of their own.
    """
    crc = zlib.crc32(payload, zlib.crc32(bytes(padding))) if padding else zlib.crc32(payload)
    return crc.to_bytes(4, "little") + (padding + len(payload)).to_bytes(8, "little")


def read_checked_file(path: str, header: bytes) -> memoryview | None:
    """The payload of a checked file, seen in place in its bytes; None when it is missing, damaged, or
    has another header."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    return _payload_of(memoryview(data), header)


def read_checked_mapped(path: str, header: bytes) -> memoryview | None:
    """As read_checked_file, with the payload mapped from the file rather than read into memory.

    Once checked, the mapped pages are let go (MADV_DONTNEED): the page cache keeps them, and only
    those read afterwards count in the process's memory again. For large arrays of which a build
    reads a little (the audit's memory: 44 MB at 4,000 posts, of which a one-edit build looks up a
    few pages). A cache file is replaced by renaming, never written in place, so a mapped file keeps
    the bytes that were checked. Elsewhere than on POSIX systems (Windows will neither replace nor
    delete a mapped file) the file is read as read_checked_file reads it.
    """
    if os.name != "posix":
        return read_checked_file(path, header)
    try:
        with open(path, "rb") as handle:
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):  # ValueError: an empty file, which cannot be mapped
        return None
    payload = _payload_of(memoryview(mapped), header)
    if payload is not None and hasattr(mapped, "madvise") and hasattr(mmap, "MADV_DONTNEED"):
        mapped.madvise(mmap.MADV_DONTNEED)
    return payload


def _payload_of(data: memoryview, header: bytes) -> memoryview | None:
    """The payload of a checked file's bytes, if they have this header and their checksum holds."""
    start = len(header) + CHECKSUM_SIZE
    if len(data) < start or data[: len(header)] != header:
        return None
    payload = data[start:]
    return payload if checksum_of(payload) == data[len(header) : start] else None


def write_checked_file(path: str, header: bytes, payload: bytes | memoryview, padding: int = 0) -> None:
    """Write a checked file whole or not at all (a large payload is written as it is, not copied), its
    payload after `padding` zero bytes (they count as part of it: see audit_memory's aligned arrays)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temp = f"{path}.{os.getpid()}.tmp"
    with open(temp, "wb") as handle:
        handle.write(header + checksum_of(payload, padding) + bytes(padding))
        handle.write(payload)
    os.replace(temp, path)
