"""`tearsheet new` and `tearsheet init`: write source files for the author to edit."""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata

from .config import load_config
from .content import read_config
from .errors import SiteError

SCAFFOLD_DIR = os.path.join(os.path.dirname(__file__), "scaffold")


def slug_for_title(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:80].strip("-")


def new_post_text(title: str, date: dt.datetime, tier: str | None, teaser: int | None) -> str:
    quoted = title.replace("\\", "\\\\").replace('"', '\\"')
    lines = ["---", f'title: "{quoted}"', f"date: {date.isoformat()}"]
    if tier:
        lines.append(f"tier: {tier}")
    if teaser is not None:
        lines.append(f"teaser: {teaser}")
    lines += ["tags: []", 'description: ""', "draft: true", "---", "",
              "Write the essay here. Remove `draft: true` above when it is ready to publish.", ""]
    return "\n".join(lines)


def write_new_post(site_dir: str, title: str, tier: str | None, teaser: int | None) -> str:
    """Write content/posts/YYYY/slug.md dated now in the site's time zone; return its path."""
    config = read_config(site_dir)
    slug = slug_for_title(title)
    if not slug:
        raise SiteError.one("title", None, f'"{title}" has no letters or digits to make a file name from',
                            "give the post a title with words in it")
    now = dt.datetime.now(config.zone).replace(second=0, microsecond=0)
    path = os.path.join(site_dir, "content", "posts", f"{now.year:04d}", f"{slug}.md")
    if os.path.exists(path):
        raise SiteError.one(os.path.relpath(path), None, "a post with this file name already exists",
                            "choose another title, or edit the existing post")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "x", encoding="utf-8") as handle:
        handle.write(new_post_text(title, now, tier, teaser))
    return os.path.relpath(path)


def init_site(target: str, title: str = "") -> None:
    """Copy the starter site into `target`, dating its first post today."""
    if os.path.exists(os.path.join(target, "site.toml")):
        raise SiteError.one(os.path.join(target, "site.toml"), None, "a site already exists here",
                            "choose an empty folder for the new site")
    with open(os.path.join(SCAFFOLD_DIR, "site.toml"), encoding="utf-8") as handle:
        zone = load_config("site.toml", handle.read()).zone
    # Now, in the new site's own time zone, so the first post is never "in the future" there.
    today = dt.datetime.now(zone).replace(second=0, microsecond=0).isoformat()
    for root, _dirs, names in os.walk(SCAFFOLD_DIR):
        for name in sorted(names):
            source = os.path.join(root, name)
            relative = os.path.relpath(source, SCAFFOLD_DIR).replace("YEAR", today[:4])
            relative = relative.replace("dot-", ".", 1) if relative.startswith("dot-") else relative
            destination = os.path.join(target, relative)
            os.makedirs(os.path.dirname(destination), exist_ok=True)
            with open(source, encoding="utf-8") as handle:
                text = handle.read().replace("{{TODAY}}", today).replace("{{TITLE}}", title or "My Markets Letter")
            with open(destination, "w", encoding="utf-8") as handle:
                handle.write(text)
