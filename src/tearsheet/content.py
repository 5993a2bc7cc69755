"""content/ -> SourcePost records. Only this module reads source files.

A file's bytes are decoded and split into front matter and body here; frontmatter.py checks the
front matter.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable
from dataclasses import dataclass

from .config import CONFIG_NAME, SiteConfig, parse_config
from .errors import Problem, SiteError
from .frontmatter import PostMeta, parse_front_matter

MARKDOWN_EXTENSIONS = (".md", ".markdown", ".mdown", ".mkd", ".mkdn", ".mdwn", ".mdtext", ".mdtxt")


@dataclass(frozen=True, slots=True)
class SourcePost:
    """A post or page as written: its checked front matter and its Markdown body."""

    meta: PostMeta
    body: str  # "" when not read (see body_at)
    body_line: int  # line of the file where the body starts
    body_digest: str = ""  # cache.key_of(body), when whoever read the file knows it already
    body_at: tuple[str, int] | None = None  # (file, offset in its text) of a body not read: the file was as
    # the build cache last saw it, and the body is read only if it has to be rendered (cache.with_body)


@dataclass(frozen=True, slots=True)
class Asset:
    """A file under content/ copied to the site at the same relative path."""

    source: str  # absolute path on disk
    url: str  # "/images/curve.svg"
    uses: tuple[str, ...] = ()  # of a page, stylesheet or SVG: the addresses it loads or links to, as written


# What a chart's page, a stylesheet or an SVG under content/ loads or links to (see asset_uses).
USING_SUFFIXES = (".html", ".htm", ".css", ".svg")
MAX_USING_BYTES = 5_000_000  # a larger such file is not read for its links
USE_ATTRIBUTE = re.compile(r"""(?<![\w-])(?:src|href|poster|data|xlink:href)\s*=\s*"""
                           r"""(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.IGNORECASE)
SRCSET = re.compile(r"""(?<![\w-])srcset\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
# Comments (HTML's and CSS's) and what a <script> holds: addresses there are not loads (a script's own
# fetches are not followed at all); a script's src attribute is.
HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|$)", re.DOTALL)
SCRIPT_BODY = re.compile(r"(<script\b[^>]*>).*?(?:</script\s*>|$)", re.DOTALL | re.IGNORECASE)
STYLE_BLOCK = re.compile(r"<style\b[^>]*>.*?(?:</style\s*>|$)", re.DOTALL | re.IGNORECASE)
CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s"']*))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')""",
                     re.IGNORECASE)


def asset_uses(name: str, data: bytes) -> tuple[str, ...]:
    """The addresses a page, stylesheet or SVG loads or links to: src, href, srcset, poster and data
    attributes, CSS url() and @import (in a stylesheet or a page's styles). Scripts are not read: a
    file a script alone fetches is not found."""
    if not name.lower().endswith(USING_SUFFIXES) or len(data) > MAX_USING_BYTES:
        return ()
    text = data.decode("utf-8", "replace")
    stylesheet = name.lower().endswith(".css")
    if stylesheet:
        text = CSS_COMMENT.sub(" ", text)
    else:  # a page's or an SVG's comments and scripts, and comments in its styles: no load a reader sees
        text = HTML_COMMENT.sub(" ", SCRIPT_BODY.sub(r"\1 ", text))
        text = STYLE_BLOCK.sub(lambda style: CSS_COMMENT.sub(" ", style[0]), text)
    found = [next(value for value in match if value) for match in CSS_URL.findall(text) if any(match)]
    if not stylesheet:
        found += [next(value for value in match if value) for match in USE_ATTRIBUTE.findall(text) if any(match)]
        found += [candidate.split()[0] for match in SRCSET.findall(text) for candidate in "".join(match).split(",")
                  if candidate.strip()]
    return tuple(sorted({address.strip() for address in found if address.strip()}))


@dataclass(frozen=True, slots=True)
class SourceContent:
    posts: tuple[SourcePost, ...]
    pages: tuple[SourcePost, ...]
    assets: tuple[Asset, ...]

    def without_bodies(self) -> SourceContent:
        """The same posts and pages with their Markdown left out: what a build keeps once they are rendered."""
        return SourceContent(*(tuple(dataclasses.replace(item, body="") for item in items)
                               for items in (self.posts, self.pages)), self.assets)


def read_config(site_dir: str, content_problems: bool = True) -> SiteConfig:
    """Read site.toml from the site folder.

    When it has problems, the posts are read too (with defaults for the bad settings), so one run
    reports the problems of both; `content_problems=False` reports site.toml's alone.
    """
    path = os.path.join(site_dir, CONFIG_NAME)
    if not os.path.isfile(path):
        raise SiteError([_no_site_problem(site_dir)])
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise SiteError.one(CONFIG_NAME, None, f"site.toml is not UTF-8 text{_encoding_guess(data)}",
                            "re-save it as UTF-8 in your editor") from None
    try:
        config, problems = parse_config(CONFIG_NAME, text)
    except RecursionError:  # tomllib recurses into nested arrays and tables
        raise SiteError.one(CONFIG_NAME, None, "site.toml nests arrays or tables too deeply to read",
                            "site.toml needs at most a few levels: [paywall], [authors.key], [[menu]]") from None
    if problems and content_problems:
        problems += _content_problems(site_dir, config, problems)
    if problems:
        raise SiteError(problems)
    return config


def _no_site_problem(site_dir: str) -> Problem:
    """Say why there is no site here: a file passed for the folder, or site.toml misnamed."""
    where = os.path.abspath(site_dir) if site_dir in ("", ".") else site_dir
    if os.path.isfile(site_dir):
        folder = os.path.dirname(site_dir) or "."
        return Problem(site_dir, None, "is a file, not a site folder",
                       f"pass its folder instead: {folder}" if os.path.basename(site_dir) == CONFIG_NAME
                       else "pass the folder holding site.toml")
    if not os.path.isdir(site_dir):
        return Problem(where, None, "no such folder", "pass the folder holding site.toml, or run the command in it")
    near = [n for n in sorted(os.listdir(site_dir)) if n != CONFIG_NAME and n.lower().startswith(CONFIG_NAME)]
    if near:
        return Problem(os.path.join(site_dir, near[0]) if site_dir not in ("", ".") else near[0], None,
                       f"the settings file must be named exactly {CONFIG_NAME}", f"rename {near[0]} to {CONFIG_NAME}")
    return Problem(where, None, "no site.toml here: this is not a tearsheet site",
                   "run the command in your site's folder (the one holding site.toml), or create a site "
                   "with `tearsheet init DIR`")


def _content_problems(site_dir: str, config: SiteConfig, config_problems: list[Problem]) -> list[Problem]:
    """The content's problems under a config with defaults for its bad settings."""
    try:
        read_content(site_dir, config)
    except SiteError as exc:
        authors_broken = any("authors" in p.message for p in config_problems)
        return [p for p in exc.problems if not (authors_broken and p.message.startswith("unknown author"))]
    return []


def relative_path(path: str, base: str) -> str:
    """`path` below `base`, with forward slashes (os.path.relpath, but quick for a path under base)."""
    prefix = os.path.join(base, "")
    inside = path[len(prefix):] if path.startswith(prefix) else os.path.relpath(path, base)
    return inside.replace(os.sep, "/")


def read_static(folders: list[str]) -> dict[str, bytes]:
    """Files of the theme's and the site's static folders; a later folder wins name by name."""
    files: dict[str, bytes] = {}
    problems = []
    for folder in folders:
        for root, dirs, names in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(n for n in names if not n.startswith(".")):
                path = os.path.join(root, name)
                rel = os.path.relpath(path, folder).replace(os.sep, "/")
                if not _utf8(rel):  # (the folder's own path is the user's business, not part of a URL)
                    problems.append(_not_utf8(f"{os.path.basename(folder)}/{rel}"))
                    continue
                if not os.path.isfile(path):
                    problems.append(_not_a_file(f"{os.path.basename(folder)}/{rel}"))
                    continue
                with open(path, "rb") as handle:
                    files[rel] = handle.read()
    if problems:
        raise SiteError(problems)
    return files


def _uses(path: str, name: str) -> tuple[str, ...]:
    if not name.lower().endswith(USING_SUFFIXES):
        return ()
    try:
        if os.path.getsize(path) > MAX_USING_BYTES:
            return ()
        with open(path, "rb") as handle:
            return asset_uses(name, handle.read())
    except OSError:  # unreadable: copying it says so
        return ()


def read_content(site_dir: str, config: SiteConfig,
                 parse: Callable[[str, bytes, str, SiteConfig], SourcePost] | None = None,
                 recall: Callable[[str, str, str], SourcePost | None] | None = None) -> SourceContent:
    """Read and check every file under content/, reporting all problems at once.

    `parse` stands in for parse_source with the same results (the build's cache and renderer use it).
    `recall(file, path, kind)`, called before a Markdown file is read, may give its record without
    reading it (the build cache knows the file as it is; see SourceCache.recall).
    """
    parse = parse or parse_source
    content_dir = os.path.join(site_dir, "content")
    problems: list[Problem] = []
    posts: list[SourcePost] = []
    pages: list[SourcePost] = []
    assets: list[Asset] = []
    for path in _walk(content_dir, site_dir, problems):
        rel = relative_path(path, site_dir)
        inside = relative_path(path, content_dir)
        if not path.endswith(".md"):
            if _is_markdown(path):  # published as a file, a plus post's full text would be public
                stem = os.path.splitext(os.path.basename(path))[0]
                problems.append(Problem(rel, None, f"Markdown file ending in {os.path.splitext(path)[1]} "
                                        "rather than .md", f"rename it to {stem}.md"))
            else:
                assets.append(Asset(path, "/" + inside, _uses(path, inside)))
            continue
        kind = "post" if inside.startswith("posts/") else "page" if inside.startswith("pages/") else ""
        if not kind:
            problems.append(Problem(rel, None, "Markdown file outside content/posts/ and content/pages/",
                                    "move it into content/posts/ (an essay) or content/pages/ (a page)"))
            continue
        record = recall(path, rel, kind) if recall is not None else None
        if record is None:
            with open(path, "rb") as handle:
                data = handle.read()
            try:
                record = parse(rel, data, kind, config)
            except SiteError as exc:
                problems.extend(exc.problems)
                continue
        (posts if kind == "post" else pages).append(record)
    if problems:
        raise SiteError(problems)
    return SourceContent(tuple(posts), tuple(pages), tuple(assets))


def _is_markdown(path: str) -> bool:
    return os.path.splitext(path)[1].lower() in MARKDOWN_EXTENSIONS


def _walk(content_dir: str, site_dir: str, problems: list[Problem]) -> list[str]:
    """Every file under content/, sorted; symlinks that leave the site are refused."""
    if os.path.exists(content_dir) and not os.path.isdir(content_dir):  # else the site would build empty
        problems.append(Problem("content", None, "is a file, not a folder",
                                "content/ is the folder of your posts and pages: rename or remove the file"))
    if not os.path.isdir(content_dir):
        return []
    site_root = os.path.realpath(site_dir)
    found: list[str] = []

    def visit(folder: str) -> None:  # as os.walk(folder) would, with one stat fewer per plain file
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            return  # as os.walk does: a folder that cannot be listed is left out
        dirs = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:  # as os.walk takes it: not a folder
                is_dir = False
            if is_dir:  # hidden folders are left out, but for .well-known/ at the top (security.txt and the like)
                if not entry.name.startswith(".") or (entry.name == ".well-known" and folder == content_dir):
                    dirs.append(entry)
                continue
            name = entry.name
            if name.startswith(".") or name.endswith("~"):
                continue
            path = entry.path
            rel = relative_path(path, site_dir)
            if not _utf8(rel):
                problems.append(_not_utf8(rel))
                continue
            if entry.is_symlink():
                if not _inside(os.path.realpath(path), site_root):
                    problems.append(Problem(rel, None, "symbolic link points outside the site",
                                            "copy the file into content/ instead of linking to it"))
                    continue
                if not os.path.exists(path):  # a link whose target was moved or deleted
                    problems.append(Problem(rel, None, "symbolic link points to nothing",
                                            "delete the link, or point it at a file that exists"))
                    continue
            if not entry.is_file():  # reading a named pipe waits for a writer, without end
                problems.append(_not_a_file(rel))
                continue
            found.append(path)
        for entry in dirs:
            if entry.is_symlink():  # os.walk lists a linked folder but does not go into it
                if not _inside(os.path.realpath(entry.path), site_root):
                    rel = relative_path(entry.path, site_dir)
                    problems.append(Problem(rel, None, "symbolic link points outside the site",
                                            "copy the folder into content/ instead of linking to it"))
                continue
            visit(entry.path)

    visit(content_dir)
    return found


def _utf8(name: str) -> bool:
    """Whether a file's name within the site is text: one that is not (bytes of another encoding, as a zip
    made on Windows unpacks them) cannot be written into a URL, a sitemap or a host's headers file."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _not_utf8(rel: str) -> Problem:
    shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return Problem(shown, None, "the file's name is not UTF-8 text (made on another system, or unpacked from an "
                   "old zip?), so it cannot be part of a web address", "rename the file")


def _not_a_file(rel: str) -> Problem:
    return Problem(rel, None, "is not a file but a named pipe, socket or device, which a site cannot publish",
                   "remove it from the folder")


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root + os.sep)


def parse_source(path: str, data: bytes, kind: str, config: SiteConfig) -> SourcePost:
    """Check one file's bytes and return its record; `path` is for messages and the default slug."""
    text = _decode(path, data)
    meta_text, body, body_line = split_front_matter(path, text)
    return SourcePost(parse_front_matter(path, meta_text, kind, config), body, body_line)


def _encoding_guess(data: bytes) -> str:
    """", saved as UTF-16" when the bytes say so (Windows Notepad's "Unicode"), else ""."""
    head = data[:40]
    # ASCII text in UTF-16 without a byte-order mark: every other byte is NUL, the rest are not
    ascii_16 = len(head) >= 4 and any(not any(head[i::2]) and all(head[1 - i::2]) for i in (0, 1))
    return ", saved as UTF-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") or ascii_16 else ""


def _decode(path: str, data: bytes) -> str:
    if _encoding_guess(data):
        raise SiteError.one(path, None, "not UTF-8 text: the file is saved as UTF-16",
                            'save it again with the encoding "UTF-8" (in Notepad: Save As, Encoding: UTF-8)')
    if b"\x00" in data:
        raise SiteError.one(path, None, "not a text file (it contains NUL bytes)",
                            "save it as plain UTF-8 Markdown, or give it another extension if it is an asset")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SiteError.one(path, line, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                            "re-save the file as UTF-8 in your editor") from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise SiteError.one(path, None, "file is empty",
                            "add front matter (---, title: ..., date: ..., ---) and a body, or delete the file")
    return text


def split_front_matter(path: str, text: str) -> tuple[str, str, int]:
    """Return (front matter, body, line of the body's first line)."""
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        raise _no_front_matter(path, lines)
    for number, line in enumerate(lines[1:], 2):
        if line.rstrip() in ("---", "..."):
            return "\n".join(lines[1 : number - 1]), "\n".join(lines[number:]), number + 1
        if _typed_dash(line):
            raise SiteError.one(path, number, f'front matter ends with "{line.strip()}", not three hyphens (---)',
                                "your editor turned --- into a dash: type three plain hyphens on this line")
    raise SiteError.one(path, 1, "front matter is not closed",
                        "add a line of three dashes (---) after the last front-matter line")


def _typed_dash(line: str) -> bool:
    """A fence an editor's autocorrect turned into an en or em dash: "—", "–-", "—-"."""
    stripped = line.strip()
    return bool(stripped) and set(stripped) <= {"-", "\u2013", "\u2014"} and not set(stripped) <= {"-"}


def _no_front_matter(path: str, lines: list[str]) -> SiteError:
    first = next((n for n, line in enumerate(lines) if line.strip()), 0)
    opening = lines[first].strip()
    if opening == "---":
        return SiteError.one(path, 1, f"front matter must start on line 1, not line {first + 1}",
                             "delete the blank lines above the first ---")
    if opening == "+++":
        return SiteError.one(path, first + 1, "front matter between +++ lines (TOML) is not read here",
                             "use YAML between --- lines: `title: ...`, `date: ...`, one per line")
    if _typed_dash(opening):
        return SiteError.one(path, first + 1, f'the file starts with "{opening}", not three hyphens (---)',
                             "your editor turned --- into a dash: type three plain hyphens on this line")
    fields = "a title: line" if "pages/" in path.replace(os.sep, "/") else "title: and date: lines"
    return SiteError.one(path, 1, "no front matter: the file must start with a line of three dashes (---)",
                         f"start the file with ---, then {fields}, then --- again")


def front_matter_line(site_dir: str, path: str, key: str) -> int | None:
    """The line of `key:` in the front matter of a source file (path relative to the site)."""
    try:
        with open(os.path.join(site_dir, path), encoding="utf-8", errors="replace") as handle:
            lines = handle.read().removeprefix("\ufeff").split("\n")
    except OSError:
        return None
    for number, line in enumerate(lines[1:], 2):
        if line.rstrip() in ("---", "..."):
            return None
        if re.match(rf"{re.escape(key)}\s*:", line):
            return number
    return None


def line_containing(site_dir: str, path: str, needle: str) -> int | None:
    """The first line of a source file (path relative to the site) that holds `needle`."""
    try:
        with open(os.path.join(site_dir, path), encoding="utf-8", errors="replace") as handle:
            return next((number for number, line in enumerate(handle, 1) if needle in line), None)
    except OSError:
        return None
