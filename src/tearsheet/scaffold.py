"""`tearsheet new` and `tearsheet init`: write source files for the author to edit."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import unicodedata

from .config import load_config
from .content import read_config
from .errors import Problem, SiteError
from .render import NEW_POST_PLACEHOLDERS

SCAFFOLD_DIR = os.path.join(os.path.dirname(__file__), "scaffold")
# Letters Unicode does not decompose into an ASCII letter and a mark: Straße is strasse, not strae.
LETTERS_APART = str.maketrans({"ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
                               "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D",
                               "ı": "i"})


def slug_for_title(title: str) -> str:
    """A URL's words, read as a title's: "The Fed's dilemma" the-feds-dilemma, "S&P 500 at 6,000" sp-500-at-6000,
    "Rates & FX" rates-and-fx."""
    title = re.sub(r"(?<=\w)['\u2019&](?=\w)|(?<=\d),(?=\d{3})", "", title).replace("&", " and ")
    title = title.translate(LETTERS_APART)
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:80].strip("-")


def new_post_text(title: str, date: dt.datetime, tier: str | None, teaser: int | None, plus: bool = False,
                  authors: tuple[str, ...] = ()) -> str:
    """A new post's file; `plus` (its tier, given or the site's default) adds a `<!--more-->` line, unless a
    teaser length is given. Given the site's authors (their keys), it names the first."""
    lines = ["---", f"title: {json.dumps(' '.join(title.split()), ensure_ascii=False)}", f"date: {date.isoformat()}"]
    if tier:
        lines.append(f"tier: {tier}")
    if teaser is not None:
        lines.append(f"teaser: {teaser}")
    if authors:
        others = f"  # or: {', '.join(authors[1:])}" if len(authors) > 1 else ""
        lines.append(f"authors: [{authors[0]}]{others}")
    lines += ["tags: []", 'description: ""', "draft: true", "---", ""]
    opening, members, essay = NEW_POST_PLACEHOLDERS
    ready = "Remove `draft: true` above when it is ready to publish."
    if plus and teaser is None:  # show where the paywall goes (`teaser:` given, the count decides)
        lines += [opening, "", "<!--more-->", "", f"{members} {ready}", ""]
    else:
        lines += [f"{essay} {ready}", ""]
    return "\n".join(lines)


def write_new_post(site_dir: str, title: str, tier: str | None, teaser: int | None) -> str:
    """Write content/posts/YYYY/slug.md dated now in the site's time zone; return its path."""
    config = read_config(site_dir, content_problems=False)
    if not any(character.isalnum() for character in title):
        raise SiteError.one("tearsheet new", None, f'the title "{title}" has no letters or digits',
                            'give the post a title with words in it: tearsheet new "The small-cap rotation"')
    now = dt.datetime.now(config.zone).replace(second=0, microsecond=0)
    # a title in another script (日本銀行) has no ASCII letters for a file name: name it by the time
    slug = slug_for_title(title) or f"post-{now:%m-%d-%H%M}"
    path = os.path.join(site_dir, "content", "posts", f"{now.year:04d}", f"{slug}.md")
    if os.path.exists(path):
        raise SiteError.one(os.path.relpath(path), None, "a post with this file name already exists",
                            "choose another title, or edit the existing post")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "x", encoding="utf-8") as handle:
        handle.write(new_post_text(title, now, tier, teaser, (tier or config.default_tier) == "plus",
                                   tuple(author.key for author in config.authors)))
    return os.path.relpath(path)


def install_spec() -> tuple[str, bool]:
    """(what the publish workflow pip-installs, whether CI can install it): this tearsheet, as it was installed.

    From a git repository: that URL at this commit. From an index: this version. From a folder on
    this machine (an editable install, say): this version's name, which CI can install only once it is
    on a package index the workflow reaches.
    """
    from importlib import metadata

    try:
        dist = metadata.distribution("tearsheet")
    except metadata.PackageNotFoundError:
        return "tearsheet", False
    try:
        direct = json.loads(dist.read_text("direct_url.json") or "{}")
    except ValueError:
        direct = {}
    vcs = direct.get("vcs_info") if isinstance(direct, dict) else None
    if isinstance(vcs, dict) and vcs.get("vcs") == "git" and vcs.get("commit_id"):
        return f"tearsheet @ git+{direct['url']}@{vcs['commit_id']}", True
    return f"tearsheet=={dist.version}", not direct


def init_site(target: str, title: str = "") -> list[str]:
    """Copy the starter site into `target`, dating its first post today; return notes for the writer."""
    if not target.strip():
        raise SiteError.one("tearsheet init", None, "no folder given", "tearsheet init my-letter")
    if os.path.exists(os.path.join(target, "site.toml")):
        raise SiteError.one(os.path.join(target, "site.toml"), None, "a site already exists here",
                            "choose an empty folder for the new site")
    if os.path.exists(target) and not os.path.isdir(target):
        raise SiteError.one(target, None, "is a file, not a folder", "choose a new or empty folder for the site")
    with open(os.path.join(SCAFFOLD_DIR, "site.toml"), encoding="utf-8") as handle:
        zone = load_config("site.toml", handle.read()).zone
    # Now, in the new site's own time zone, so the first post is never "in the future" there.
    today = dt.datetime.now(zone).replace(second=0, microsecond=0).isoformat()
    files = _starter_files(today)
    taken = [relative for relative in files
             if relative != ".gitignore" and os.path.lexists(os.path.join(target, relative))]
    if taken:  # never overwrite a file of the writer's: write nothing at all
        raise SiteError([Problem(os.path.join(target, relative), None, "already exists",
                                 "move it away, or choose an empty folder for the new site") for relative in taken])
    install, installable = install_spec()
    # A quoted TOML and YAML string alike: JSON's escapes (\" \\ \n \uXXXX) mean the same in both.
    quoted_title = json.dumps(title or "My Markets Letter", ensure_ascii=False)[1:-1]
    for relative, source in files.items():
        destination = os.path.join(target, relative)
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        with open(source, encoding="utf-8") as handle:
            text = (handle.read().replace("{{TODAY}}", today).replace("{{TITLE}}", quoted_title)
                    .replace("{{INSTALL}}", json.dumps(install)))
        if relative == ".gitignore" and os.path.isfile(destination):  # a fresh repository's own: add ours to it
            text = _missing_lines(destination, text)
        with open(destination, "a" if relative == ".gitignore" else "x", encoding="utf-8") as handle:
            handle.write(text)
    if installable:
        return []
    return [f"the publish workflow installs {install}, but this tearsheet was installed from a folder on this "
            "machine: set TEARSHEET in .github/workflows/publish.yml to what CI can install, such as "
            '"tearsheet @ git+https://github.com/OWNER/tearsheet@TAG"']


def _missing_lines(path: str, text: str) -> str:
    """The lines of `text` the file at `path` lacks, to append to it."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        existing = handle.read()
    lines = [line for line in text.splitlines() if line.strip() and line not in existing.splitlines()]
    if not lines:
        return ""
    return ("" if existing.endswith("\n") or not existing else "\n") + "\n".join(lines) + "\n"


def _starter_files(today: str) -> dict[str, str]:
    """{path in the new site: path of its template in the scaffold}."""
    files = {}
    for root, _dirs, names in os.walk(SCAFFOLD_DIR):
        for name in sorted(names):
            source = os.path.join(root, name)
            relative = os.path.relpath(source, SCAFFOLD_DIR).replace("YEAR", today[:4])
            files[relative.replace("dot-", ".", 1) if relative.startswith("dot-") else relative] = source
    return files
