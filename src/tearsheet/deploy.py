"""Files for the hosts a site is deployed to: `_headers` and `_redirects` (read by Netlify and Cloudflare Pages)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .config import SiteConfig
from .frontmatter import PostMeta
from .output import CopyFile, FileData
from .site import Site, address_of, base_path

HEADERS_FILE = "_headers"
REDIRECTS_FILE = "_redirects"
FOREVER = "max-age=31536000, immutable"
SEARCH_HASHED = ("/pagefind/fragment/*", "/pagefind/index/*")  # Pagefind names these by content hash


def headers_file(site: Site, static: Mapping[str, tuple[str, bytes]]) -> dict[str, bytes]:
    """One tier's `_headers`: fingerprinted files cached for ever; the members site kept out of search engines.

    `static` maps a theme file's name to (its name in the output, its bytes); a name that changed carries
    a content hash, so the file at that URL never changes.
    """
    root = base_path(site.config)
    scope = "public" if site.tier == "public" else "private"
    lines = ["# Written by tearsheet for Netlify and Cloudflare Pages; other hosts ignore it."]
    if site.tier == "members":
        lines += [f"{root}/*", "  X-Robots-Tag: noindex, nofollow", "  Referrer-Policy: same-origin"]
    hashed = sorted(f"{root}/assets/{output}" for name, (output, _) in static.items() if output != name)
    search = [f"{root}{pattern}" for pattern in SEARCH_HASHED] if site.config.search.enabled else []
    for url in (*hashed, *search):
        lines += [url, f"  Cache-Control: {scope}, {FOREVER}"]
    return {HEADERS_FILE: ("\n".join(lines) + "\n").encode("utf-8")}


def redirects_file(config: SiteConfig, metas: Sequence[PostMeta]) -> dict[str, bytes]:
    """`_redirects`: a permanent (301) redirect from each `aliases:` address to the page's address now.

    Cloudflare Pages follows these before it serves a file; Netlify serves the redirect page the build
    also writes at the old address (a file there shadows the rule), which sends the reader on all the
    same. No aliases, no file: a host's own `_redirects` under content/ is then the site's.
    """
    root = base_path(config)
    rules = [f"{root}{alias} {address_of(config, meta)} 301" for meta in metas for alias in meta.aliases]
    if not rules:
        return {}
    lines = ["# Written by tearsheet from the posts' `aliases:`, for Netlify and Cloudflare Pages.", *rules]
    return {REDIRECTS_FILE: ("\n".join(lines) + "\n").encode("utf-8")}


def host_files(ours: Mapping[str, bytes],
               assets: Mapping[str, FileData]) -> tuple[dict[str, bytes], dict[str, FileData]]:
    """Our host files with the site's own (a `_headers` or `_redirects` under content/) put first, and the
    rest of the files under content/.

    The site's own rules come first: on both hosts the first redirect for a path wins, and headers for
    a path add up.
    """
    merged, rest = dict(ours), dict(assets)
    for name, data in ours.items():
        own = rest.pop(name, None)
        if isinstance(own, CopyFile):
            with open(own.source, "rb") as handle:
                merged[name] = handle.read().rstrip(b"\n") + b"\n\n" + data
    return merged, rest
