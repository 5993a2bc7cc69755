"""Files for the hosts a site is deployed to: `_headers` (read by Netlify and Cloudflare Pages)."""

from __future__ import annotations

from collections.abc import Mapping

from .site import Site, base_path

HEADERS_FILE = "_headers"
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
