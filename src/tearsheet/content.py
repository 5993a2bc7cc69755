"""content/ -> SourcePost records. Only this module reads source files."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from .config import CONFIG_NAME, SiteConfig, parse_config
from .errors import Problem, SiteError, did_you_mean

YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
POST_KEYS = ("title", "date", "tier", "teaser", "slug", "tags", "series", "authors",
             "description", "draft", "updated", "image", "free_after", "plus_after")
PAGE_KEYS = ("title", "slug", "description", "draft", "updated", "image")
MARKDOWN_EXTENSIONS = (".md", ".markdown", ".mdown", ".mkd", ".mkdn", ".mdwn", ".mdtext", ".mdtxt")
MIN_YEAR, MAX_YEAR = 1900, 9000
MAX_DAYS = 36500  # access rules: a hundred years is "never" in all but name
DATE_HINT = "write it as 2026-10-14 or 2026-10-14T07:30:00-04:00"


@dataclass(frozen=True, slots=True)
class PostMeta:
    """One Markdown file's front matter, checked. Holds no body text: it is safe for any tier."""

    path: str
    kind: str  # "post" or "page"
    title: str
    slug: str
    date: dt.datetime | None
    updated: dt.datetime | None
    tier: str
    teaser: int
    tags: tuple[str, ...]
    series: str
    authors: tuple[str, ...]
    description: str
    draft: bool
    image: str
    free_after: int | None = None  # days after `date` a plus post becomes free (None: never)
    plus_after: int | None = None  # days after `date` a free post goes behind the wall (None: never)


@dataclass(frozen=True, slots=True)
class SourcePost:
    """A post or page as written: its checked front matter and its Markdown body."""

    meta: PostMeta
    body: str
    body_line: int  # line of the file where the body starts


@dataclass(frozen=True, slots=True)
class Asset:
    """A file under content/ copied to the site at the same relative path."""

    source: str  # absolute path on disk
    url: str  # "/images/curve.svg"


@dataclass(frozen=True, slots=True)
class SourceContent:
    posts: tuple[SourcePost, ...]
    pages: tuple[SourcePost, ...]
    assets: tuple[Asset, ...]


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


def read_static(folders: list[str]) -> dict[str, bytes]:
    """Files of the theme's and the site's static folders; a later folder wins name by name."""
    files: dict[str, bytes] = {}
    for folder in folders:
        for root, dirs, names in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(n for n in names if not n.startswith(".")):
                path = os.path.join(root, name)
                with open(path, "rb") as handle:
                    files[os.path.relpath(path, folder).replace(os.sep, "/")] = handle.read()
    return files


def read_content(site_dir: str, config: SiteConfig,
                 parse: Callable[[str, bytes, str, SiteConfig], SourcePost] | None = None) -> SourceContent:
    """Read and check every file under content/, reporting all problems at once.

    `parse` stands in for parse_source with the same results (the build's cache and renderer use it).
    """
    parse = parse or parse_source
    content_dir = os.path.join(site_dir, "content")
    problems: list[Problem] = []
    posts: list[SourcePost] = []
    pages: list[SourcePost] = []
    assets: list[Asset] = []
    for path in _walk(content_dir, site_dir, problems):
        rel = os.path.relpath(path, site_dir).replace(os.sep, "/")
        inside = os.path.relpath(path, content_dir).replace(os.sep, "/")
        if not path.endswith(".md"):
            if _is_markdown(path):  # published as a file, a plus post's full text would be public
                stem = os.path.splitext(os.path.basename(path))[0]
                problems.append(Problem(rel, None, f"Markdown file ending in {os.path.splitext(path)[1]} "
                                        "rather than .md", f"rename it to {stem}.md"))
            else:
                assets.append(Asset(path, "/" + inside))
            continue
        kind = "post" if inside.startswith("posts/") else "page" if inside.startswith("pages/") else ""
        if not kind:
            problems.append(Problem(rel, None, "Markdown file outside content/posts/ and content/pages/",
                                    "move it into content/posts/ (an essay) or content/pages/ (a page)"))
            continue
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
    for folder, dirs, files in os.walk(content_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or name.endswith("~"):
                continue
            path = os.path.join(folder, name)
            if os.path.islink(path) and not _inside(os.path.realpath(path), site_root):
                rel = os.path.relpath(path, site_dir).replace(os.sep, "/")
                problems.append(Problem(rel, None, "symbolic link points outside the site",
                                        "copy the file into content/ instead of linking to it"))
                continue
            if not os.path.exists(path):  # a link whose target was moved or deleted
                rel = os.path.relpath(path, site_dir).replace(os.sep, "/")
                problems.append(Problem(rel, None, "symbolic link points to nothing",
                                        "delete the link, or point it at a file that exists"))
                continue
            found.append(path)
        for name in list(dirs):
            path = os.path.join(folder, name)
            if os.path.islink(path) and not _inside(os.path.realpath(path), site_root):
                rel = os.path.relpath(path, site_dir).replace(os.sep, "/")
                problems.append(Problem(rel, None, "symbolic link points outside the site",
                                        "copy the folder into content/ instead of linking to it"))
                dirs.remove(name)
    return found


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root + os.sep)


def parse_source(path: str, data: bytes, kind: str, config: SiteConfig) -> SourcePost:
    """Check one file's bytes and return its record; `path` is for messages and the default slug."""
    text = _decode(path, data)
    meta_text, body, body_line = split_front_matter(path, text)
    nodes, values, problems = _load_yaml(path, meta_text)
    fields = _FieldReader(path, nodes, values, problems, meta_text.split("\n"))
    allowed = POST_KEYS if kind == "post" else PAGE_KEYS
    for key in values:
        if key not in allowed:
            hint = did_you_mean(str(key), allowed) or f"known keys: {', '.join(allowed)}"
            if kind == "page" and key in POST_KEYS:
                hint = f"pages are always public and undated; remove `{key}` or move the file to content/posts/"
            problems.append(Problem(path, fields.line(key), f'unknown front-matter key "{key}"', hint))
    tier = fields.choice("tier", ("free", "plus"), config.default_tier)
    is_post = kind == "post"
    meta = PostMeta(
        path=path,
        kind=kind,
        title=fields.text("title", required=True),
        slug=fields.slug(_default_slug(path)),
        date=fields.date("date", config, required=kind == "post"),
        updated=fields.date("updated", config),
        tier=tier,
        teaser=fields.count("teaser", config.teaser_words),
        tags=fields.text_list("tags"),
        series=fields.text("series"),
        authors=fields.authors(config),
        description=fields.text("description"),
        draft=fields.flag("draft"),
        image=fields.image(),
        free_after=fields.days_after("free_after", "plus", tier, config.free_after) if is_post else None,
        plus_after=fields.days_after("plus_after", "free", tier, config.plus_after) if is_post else None,
    )
    if problems:
        raise SiteError(problems)
    return SourcePost(meta, body, body_line)


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
    return SiteError.one(path, 1, "no front matter: the file must start with a line of three dashes (---)",
                         "start the file with ---, then title: and date: lines, then --- again")


def _load_yaml(path: str, meta_text: str) -> tuple[dict[str, Any], dict[str, Any], list[Problem]]:
    """Parse YAML, keeping each key's node (for its line and raw text) beside its value.

    Returns the problems found so far: keys given twice, which YAML itself lets the last one win.
    """
    _check_spaces(path, meta_text)
    loader = YamlLoader(meta_text)
    try:
        node = loader.get_single_node()
        values = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        hint = ("indent with spaces, not tabs (or remove the indentation)" if "tab" in problem else
                'write one `key: value` per line; quote values containing ": " or "#"')
        raise SiteError.one(path, line, f"front matter is not valid YAML: {problem}", hint) from None
    except (ValueError, OverflowError, RecursionError) as exc:  # a date YAML reads but the calendar lacks
        raise SiteError.one(path, _unreadable_value_line(loader, node), f"front matter has an impossible value: {exc}",
                            f'{DATE_HINT}; quote other values: key: "..."') from None
    finally:
        loader.dispose()
    if values is None:
        raise SiteError.one(path, 2, "front matter is empty", "add at least title: and date:")
    if not isinstance(values, dict):
        raise SiteError.one(path, 2, "front matter must be `key: value` lines",
                            "for example:\n    title: The small-cap rotation\n    date: 2026-10-14")
    nodes: dict[str, Any] = {}
    problems = []
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            continue
        if key.value in nodes:
            first = nodes[key.value].start_mark.line + 2
            problems.append(Problem(path, key.start_mark.line + 2, f"`{key.value}` is given twice (first on line "
                                    f"{first})", f"keep one `{key.value}:` line and delete the other"))
        nodes[key.value] = value
    return nodes, values, problems


def _check_spaces(path: str, meta_text: str) -> None:
    """A non-breaking or other unusual space after `key:` (pasted from a web page) is not a space to YAML."""
    for number, line in enumerate(meta_text.split("\n"), 2):
        odd = re.match(r"\s*[^\s:#]+:([\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff])", line)
        if odd:
            raise SiteError.one(path, number, f"an unusual space (U+{ord(odd.group(1)):04X}) follows the colon",
                                "delete the space after the colon and type an ordinary one")


def _unreadable_value_line(loader: Any, node: Any) -> int:
    """The line of the first front-matter value that fails to construct (2026-02-30, say)."""
    stack = [node]
    while stack:
        current = stack.pop(0)
        if isinstance(current, yaml.MappingNode):
            stack[:0] = [value for _key, value in current.value]
        elif isinstance(current, yaml.SequenceNode):
            stack[:0] = list(current.value)
        elif isinstance(current, yaml.ScalarNode):
            fresh = YamlLoader("")  # the failed loader remembers half-built objects
            try:
                fresh.construct_object(current, deep=True)
            except (ValueError, OverflowError, yaml.YAMLError):
                return current.start_mark.line + 2
            finally:
                fresh.dispose()
    return 1


def _default_slug(path: str) -> str:
    stem = os.path.splitext(os.path.basename(path))[0]
    return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")


class _FieldReader:
    """Read typed fields from front matter, recording a located problem for each bad one."""

    def __init__(self, path: str, nodes: dict[str, Any], values: dict[str, Any], problems: list[Problem],
                 lines: list[str]):
        self.path, self.nodes, self.values, self.problems, self.lines = path, nodes, values, problems, lines

    def line(self, key: str) -> int:
        node = self.nodes.get(key)
        return node.start_mark.line + 2 if node is not None else 1

    def bad(self, key: str, message: str, hint: str) -> None:
        self.problems.append(Problem(self.path, self.line(key), message, hint))

    def _raw_text(self, key: str) -> str | None:
        """A scalar's text as written, so `title: 2026` or `tags: [no]` stay text."""
        node = self.nodes.get(key)
        if isinstance(node, yaml.ScalarNode):
            return node.value if self.values.get(key) is not None else ""
        return None

    def text(self, key: str, required: bool = False) -> str:
        if key not in self.values or self.values[key] is None:
            if required:
                self.problems.append(Problem(self.path, 1 if key not in self.nodes else self.line(key),
                                             f"missing `{key}`", f'add a line `{key}: "..."` to the front matter'))
            return ""
        raw = self._raw_text(key)
        if raw is None:
            self.bad(key, f"`{key}` must be text, got a {type(self.values[key]).__name__}",
                     f'write it on one line: {key}: "..."')
            return ""
        if required and not raw.strip():
            self.bad(key, f"`{key}` is empty", f'write it on one line: {key}: "..."')
        self._check_cut_by_comment(key)
        return raw.strip()

    def _check_cut_by_comment(self, key: str) -> None:
        """`title: Rates #1 in 2026` is "Rates" to YAML: a `#` after a space starts a comment."""
        node = self.nodes[key]
        if node.style or node.end_mark.line >= len(self.lines):
            return
        after = self.lines[node.end_mark.line][node.end_mark.column:]
        if re.match(r"\s+#\S", after):
            cut = f"{node.value} {after.strip()}".replace("\\", "\\\\").replace('"', '\\"')
            self.bad(key, f'`{key}` stops before "{after.strip()}": YAML reads " #" as the start of a comment',
                     f'put it in quotes: {key}: "{cut}"')

    def image(self) -> str:
        """A site path or a web address: a path on the writer's own disk is on no web server."""
        image = self.text("image")
        if re.match(r"([A-Za-z]:[\\/]|\\\\|file:|~/)", image) or "\\" in image:
            self.bad("image", f'`image` is a path on your computer: "{image}"',
                     "copy the file under content/ and give its site path: content/images/card.png is "
                     "/images/card.png")
        return image

    def slug(self, default: str) -> str:
        slug = self.text("slug") or default
        if not SLUG_PATTERN.fullmatch(slug):
            where = "`slug`" if "slug" in self.values else "the file name"
            self.bad("slug", f'{where} gives the slug "{slug}", which is not lowercase letters, digits and '
                     "single hyphens", "set `slug: my-essay` or rename the file")
        return slug

    def date(self, key: str, config: SiteConfig, required: bool = False) -> dt.datetime | None:
        value = self.values.get(key)
        if value is None:
            if required:
                self.problems.append(Problem(self.path, 1 if key not in self.nodes else self.line(key),
                                             f"missing `{key}`", f"add `{key}: 2026-10-14` ({DATE_HINT})"))
            return None
        if isinstance(value, str):
            try:
                value = dt.datetime.fromisoformat(value.strip())
            except ValueError:
                self.bad(key, f'`{key}` is not a date: "{value}"', DATE_HINT)
                return None
        if isinstance(value, dt.datetime):
            moment = value if value.tzinfo else value.replace(tzinfo=config.zone)
        elif isinstance(value, dt.date):
            moment = dt.datetime(value.year, value.month, value.day, tzinfo=config.zone)
        else:
            self.bad(key, f"`{key}` is not a date: {value!r}", DATE_HINT)
            return None
        if not MIN_YEAR <= moment.year <= MAX_YEAR:  # a typo (0226 for 2026); the far ends overflow on conversion
            self.bad(key, f"`{key}` is in the year {moment.year}: a typo?",
                     f"a date between {MIN_YEAR} and {MAX_YEAR}: {DATE_HINT}")
            return None
        return moment

    def choice(self, key: str, options: tuple[str, ...], default: str) -> str:
        if key not in self.values:
            return default
        value = self.values[key]
        if isinstance(value, str) and value.strip().lower() in options:  # `tier: Plus` means plus
            return value.strip().lower()
        wanted = " or ".join(f'"{o}"' for o in options)
        close = did_you_mean(str(value).lower(), options)
        self.bad(key, f'{key} must be {wanted}, got "{self._raw_text(key) or value}"',
                 close or f"set `{key}: {options[-1]}` for members-only text after a teaser")
        return default

    def count(self, key: str, default: int) -> int:
        if key not in self.values:
            return default
        value = self.values[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.bad(key, f'{key} must be a whole number of words, 0 or more, got "{self._raw_text(key) or value}"',
                     f"for example `{key}: 150`; `{key}: 0` shows no body text to the public")
            return default
        return value

    def days_after(self, key: str, applies_to: str, tier: str, default: int) -> int | None:
        """An access rule: whole days after the date, `never`, or the site default for this tier."""
        if key not in self.values:
            return default if tier == applies_to and default > 0 else None
        value = self.values[key]
        if value is False or value == "never":
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.bad(key, f'{key} must be a whole number of days (1 or more) or "never", '
                     f'got "{self._raw_text(key) or value}"', f"for example `{key}: 30`")
            return None
        if value > MAX_DAYS:
            self.bad(key, f"{key} is {value} days, more than a hundred years",
                     f"write `{key}: never` for a post that should never change sides")
            return None
        if tier != applies_to:
            self.bad(key, f"{key} applies to {applies_to} posts, and this post is {tier}",
                     f"set `tier: {applies_to}` for a post that changes sides later, or remove `{key}`")
            return None
        return value

    def flag(self, key: str) -> bool:
        value = self.values.get(key, False)
        if not isinstance(value, bool):
            self.bad(key, f'{key} must be true or false, got "{self._raw_text(key) or value}"',
                     f"write `{key}: true` or `{key}: false`")
            return False
        return value

    def text_list(self, key: str) -> tuple[str, ...]:
        node = self.nodes.get(key)
        if node is None or self.values.get(key) is None:
            return ()
        if isinstance(node, yaml.ScalarNode):  # `tags: rates, fed` (unquoted) means two tags
            items = node.value.split(",") if not node.style else [node.value]
        elif isinstance(node, yaml.SequenceNode) and all(isinstance(n, yaml.ScalarNode) for n in node.value):
            items = [n.value for n in node.value]
        else:
            self.bad(key, f"`{key}` must be a list of words", f"for example: {key}: [rates, fed]")
            return ()
        # one tag however it is capitalised or spaced: "Rates" and "rates" are the same page
        cleaned: dict[str, str] = {}
        for item in (item.strip() for item in items):
            if item:
                cleaned.setdefault(re.sub(r"[^\w]+", "-", item.lower()).strip("-") or item, item)
        return tuple(cleaned.values())

    def authors(self, config: SiteConfig) -> tuple[str, ...]:
        keys = self.text_list("authors")
        known = [a.key for a in config.authors]
        for key in keys:
            if key not in known:
                hint = did_you_mean(key, known) or (
                    f"authors: {', '.join(known)}" if known else f'add [authors.{key}] with name = "..." to site.toml')
                self.bad("authors", f'unknown author "{key}"', hint)
        return tuple(k for k in keys if k in known)


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
