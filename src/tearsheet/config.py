"""site.toml -> SiteConfig: typed, with every unknown or mistyped key an error."""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from .errors import Problem, SiteError, did_you_mean

CONFIG_NAME = "site.toml"
PERMALINK_FIELDS = ("year", "month", "day", "slug")
MAX_RULE_DAYS = 36500  # free_after / plus_after: a hundred years
MEMBERS_TOKEN_ENV = "TEARSHEET_MEMBERS_TOKEN"  # when set, in place of [feeds] members_token
LOCAL_PATH = re.compile(r"([A-Za-z]:[\\/]|\\\\|file:|~/)")  # C:\, \\server, file:, ~/: a path on the writer's disk


def is_local_path(value: str) -> bool:
    """An image given as a path on the writer's own computer, which no web server has."""
    return bool(LOCAL_PATH.match(value)) or "\\" in value


@dataclass(frozen=True, slots=True)
class Author:
    key: str
    name: str
    bio: str = ""
    url: str = ""


@dataclass(frozen=True, slots=True)
class Paywall:
    """The words of the subscribe prompt under a plus post's teaser."""

    headline: str = "Keep reading with Plus"
    pitch: str = "This essay continues for paying members."
    price: str = ""
    trial: str = ""
    subscribe_url: str = "/subscribe/"
    subscribe_label: str = "Subscribe"
    login_prompt: str = "Already have an account?"
    login_url: str = ""
    login_label: str = "Log in"
    free_pitch: str = "Plus members read every essay in full."  # under each free post in public; "" for none


@dataclass(frozen=True, slots=True)
class FeedSettings:
    """What feeds carry; `public_plus`/`members_plus` are "teaser", "full" or "title"."""

    items: int = 20
    public_plus: str = "teaser"
    members_plus: str = "full"
    members_token: str = ""


@dataclass(frozen=True, slots=True)
class SearchSettings:
    """Client-side search (Pagefind): an index per tier, built from what that tier shows."""

    enabled: bool = True


@dataclass(frozen=True, slots=True)
class MenuItem:
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """site.toml's keys. `base_url` is where the public build is deployed (a path, https://host/blog, is
    honoured); `members_url`, if set, where the members build is: its feeds and absolute links use it,
    while its pages' canonical links still point at their public twins. Both are absolute http(s) URLs
    with the same path, since the members pages link to each other under base_url's path."""

    title: str = "A tearsheet site"
    description: str = ""
    base_url: str = "http://localhost:8000"
    members_url: str = ""  # where the members build is deployed; "" means base_url
    language: str = "en"
    timezone: str = "UTC"
    permalink: str = "/{year}/{month}/{slug}/"
    posts_per_page: int = 10
    default_tier: str = "free"
    teaser_words: int = 150
    free_after: int = 0  # plus posts become free this many days after their date (0: never)
    plus_after: int = 0  # free posts go behind the wall this many days after their date (0: never)
    raw_html: bool = True
    schema_type: str = "NewsArticle"
    copyright: str = ""
    disclaimer: str = ""  # a line under every page ("Not investment advice."): the site's own words, public
    image: str = ""  # the social-card image of every page without an `image:` of its own
    authors: tuple[Author, ...] = ()
    paywall: Paywall = field(default_factory=Paywall)
    feeds: FeedSettings = field(default_factory=FeedSettings)
    search: SearchSettings = field(default_factory=SearchSettings)
    menu: tuple[MenuItem, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def author(self, key: str) -> Author | None:
        return next((a for a in self.authors if a.key == key), None)


TOP_LEVEL_KEYS = frozenset(f.name for f in fields(SiteConfig))


def load_config(path: str, text: str) -> SiteConfig:
    """Parse site.toml text; `path` is only for messages."""
    config, problems = parse_config(path, text)
    if problems:
        raise SiteError(problems)
    return config


def parse_config(path: str, text: str) -> tuple[SiteConfig, list[Problem]]:
    """Parse site.toml text into a usable config (a bad value falls back to its default) and its problems.

    Invalid TOML raises: there is nothing to fall back on.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _line_from_toml_error(str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        twice = _set_before(text, line) if message.startswith("Cannot overwrite a value") else None
        if twice is not None:
            key, first = twice
            raise SiteError.one(path, line, f"`{key}` is set twice: on line {first} and again here",
                                "keep the one you mean and delete the other: a key may be set only once") from None
        raise SiteError.one(path, line, f"site.toml is not valid TOML: {message}", _toml_hint(text, line)) from None
    problems: list[Problem] = []
    return _build(data, text, path, problems), problems


KEY_SET = re.compile(r"\s*([A-Za-z0-9_.-]+|\"[^\"]*\")\s*=")  # a line that sets a key: `key =`, `"a key" =`


def _set_before(text: str, line: int | None) -> tuple[str, int] | None:
    """The key set on this line, and the earlier line of the same table that set it first."""
    lines = text.splitlines()
    if not line or line > len(lines):
        return None
    key = KEY_SET.match(lines[line - 1])
    if key is None:
        return None
    for number in range(line - 1, 0, -1):
        earlier = lines[number - 1]
        if earlier.strip().startswith("["):
            return None  # another table began: not this key's twin
        found = KEY_SET.match(earlier)
        if found and found.group(1) == key.group(1):
            return key.group(1).strip('"'), number
    return None


def _toml_hint(text: str, line: int | None) -> str:
    """What to change on the line TOML could not read: curly quotes and unquoted text are the usual causes."""
    lines = text.splitlines()
    written = lines[line - 1].strip() if line and line <= len(lines) else ""
    key = re.match(r"([A-Za-z0-9_.-]+)\s*=", written)
    if any(mark in written for mark in "\u201c\u201d\u2018\u2019"):
        example = f'{key.group(1)} = "..."' if key else '"..."'
        return f"replace the curly quotes \u201c \u201d with straight ones: {example}"
    found = re.fullmatch(r"([A-Za-z0-9_-]+)\s*=\s*([^\"'\[{0-9+\-].*)", written)
    if found and found.group(2) not in ("true", "false"):
        return f'put text in double quotes: {found.group(1)} = "{found.group(2)}"'
    return "check quotes, brackets and `key = value` pairs on that line"


def _build(data: dict[str, Any], text: str, path: str, problems: list[Problem]) -> SiteConfig:
    nested = {"authors", "paywall", "feeds", "menu", "search"}
    top = _check_table(data, SiteConfig, "", text, path, problems, skip=nested)
    paywall = Paywall(**_check_table(_table(data, "paywall", text, path, problems), Paywall,
                                     "paywall", text, path, problems))
    feeds = FeedSettings(**_check_table(_table(data, "feeds", text, path, problems), FeedSettings,
                                        "feeds", text, path, problems))
    if os.environ.get(MEMBERS_TOKEN_ENV, "").strip():  # a CI secret, kept out of the repository
        feeds = dataclasses.replace(feeds, members_token=os.environ[MEMBERS_TOKEN_ENV].strip())
    search = SearchSettings(**_check_table(_table(data, "search", text, path, problems), SearchSettings,
                                           "search", text, path, problems))
    authors = []
    for key, table in sorted(_table(data, "authors", text, path, problems).items()):
        if not isinstance(table, dict):
            problems.append(Problem(path, _line_of(text, "authors", key), f'[authors.{key}] must be a table',
                                    f'write it as [authors.{key}] with name = "..."'))
            continue
        values = _check_table(table, Author, f"authors.{key}", text, path, problems, skip={"key"})
        if "name" not in values:
            values["name"] = key
        authors.append(Author(key=key, **values))
    menu = _menu(data.get("menu", []), text, path, problems)
    config = SiteConfig(**top, paywall=paywall, feeds=feeds, search=search, authors=tuple(authors),
                        menu=tuple(menu))
    return dataclasses.replace(config, **_check_values(config, text, path, problems))


def _menu(items: Any, text: str, path: str, problems: list[Problem]) -> list[MenuItem]:
    """The [[menu]] entries; each bad one is reported at its own [[menu]] line."""
    headers = [n for n, line in enumerate(text.splitlines(), 1) if re.fullmatch(r"\[\[\s*menu\s*\]\]", line.strip())]
    menu = []
    for number, item in enumerate(items if isinstance(items, list) else [items]):
        line = headers[number] if number < len(headers) else _line_of(text, "", "menu")
        unknown = [key for key in item if key not in ("title", "url")] if isinstance(item, dict) else []
        for key in unknown:
            hint = did_you_mean(key, ("title", "url")) or "a [[menu]] entry takes title and url"
            problems.append(Problem(path, line, f'[[menu]] unknown key "{key}"', hint))
        if isinstance(item, dict) and isinstance(item.get("title"), str) and isinstance(item.get("url"), str):
            menu.append(MenuItem(item["title"], item["url"]))
        elif not unknown:
            problems.append(Problem(path, line, "each [[menu]] entry needs a title and a url",
                                    '[[menu]]\ntitle = "About"\nurl = "/about/"'))
    return menu


def _table(data: dict[str, Any], name: str, text: str, path: str, problems: list[Problem]) -> dict[str, Any]:
    value = data.get(name, {})
    if isinstance(value, dict):
        return value
    problems.append(Problem(path, _line_of(text, "", name), f"`{name}` must be a table", f"write it as [{name}]"))
    return {}


def _check_table(table: dict[str, Any], record: type, section: str, text: str, path: str,
                 problems: list[Problem], skip: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    """Keep the known keys whose values have the right type; report the rest."""
    known = {f.name: f for f in fields(record) if f.name not in skip}
    kept: dict[str, Any] = {}
    for key, value in table.items():
        if key in skip:
            continue
        where = f"[{section}] " if section else ""
        line = _line_of(text, section, key)
        if key not in known:
            problems.append(_unknown_key(key, value, section, sorted(known), sorted(skip) if not section else [],
                                         path, line))
            continue
        expected = _python_type(known[key].type)
        if (expected is int and isinstance(value, bool)) or not isinstance(value, expected):
            problems.append(Problem(path, line, f"{where}`{key}` must be {_type_word(expected)}, "
                                    f"got {_toml_value(value)}", _type_hint(key, value, expected)))
            continue
        kept[key] = value
    return kept


def _unknown_key(key: str, value: Any, section: str, known: list[str], tables: list[str], path: str,
                 line: int | None) -> Problem:
    where = f"[{section}] " if section else ""
    what = f"unknown table [{key}]" if isinstance(value, dict) and not section else f'{where}unknown key "{key}"'
    hint = did_you_mean(key, known + tables) or f"known keys: {', '.join(known)}"
    if tables and not did_you_mean(key, known + tables):
        hint += f"; tables: {', '.join(f'[{t}]' for t in tables)}"
    if section and key in TOP_LEVEL_KEYS:
        hint = f"`{key}` belongs at the top of site.toml, above the first [table] header"
    return Problem(path, line, what, hint)


def _toml_value(value: Any) -> str:
    """A value as site.toml spells it: "text", 10, true."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return str(value)


def _type_hint(key: str, value: Any, expected: type) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if expected is int and re.fullmatch(r"-?\d+", text):
        return f"remove the quotes: {key} = {text}"
    if expected is bool and text.lower() in ("true", "false"):
        return f"remove the quotes: {key} = {text.lower()}"
    if expected is str and not isinstance(value, (dict, list)):
        return f'put it in double quotes: {key} = "{_toml_value(value)}"'
    return f"for example: {key} = {_example(expected)}"


def _python_type(annotation: Any) -> type:
    return {"str": str, "int": int, "bool": bool}.get(str(annotation), object)


def _type_word(expected: type) -> str:
    return {str: "text in quotes", int: "a whole number", bool: "true or false"}.get(expected, "a table")


def _example(expected: type) -> str:
    return {str: '"..."', int: "10", bool: "true"}.get(expected, "{ ... }")


def _check_values(config: SiteConfig, text: str, path: str, problems: list[Problem]) -> dict[str, Any]:
    """Report values of the right type but wrong; return defaults for those the content is read with."""
    def bad(section: str, key: str, message: str, hint: str) -> None:
        problems.append(Problem(path, _line_of(text, section, key), message, hint))

    fixes = _check_content_settings(config, bad)
    if config.posts_per_page < 1:
        bad("", "posts_per_page", f"posts_per_page must be 1 or more, got {config.posts_per_page}",
            "for example: posts_per_page = 10")
    for key in ("base_url", "members_url"):
        _check_site_url(config, key, bad)
    problems.extend(_permalink_problems(config.permalink, path, _line_of(text, "", "permalink")))
    if config.schema_type not in ("NewsArticle", "BlogPosting", "Article"):
        bad("", "schema_type", f'schema_type must be "NewsArticle", "BlogPosting" or "Article", '
            f'got "{config.schema_type}"', 'set schema_type = "NewsArticle"')
    for key in ("public_plus", "members_plus"):
        value = getattr(config.feeds, key)
        if value not in ("teaser", "full", "title"):
            bad("feeds", key, f'[feeds] {key} must be "teaser", "full" or "title", got "{value}"',
                '"teaser" shows the public teaser and the subscribe prompt; "title" only title and link')
    if config.feeds.public_plus == "full":
        bad("feeds", "public_plus", '[feeds] public_plus = "full" would publish members-only text',
            'use "teaser" or "title"')
    if config.feeds.items < 1:
        bad("feeds", "items", f"[feeds] items must be 1 or more, got {config.feeds.items}",
            "for example: items = 20")
    if config.feeds.members_token and not re.fullmatch(r"[A-Za-z0-9_-]{8,}", config.feeds.members_token):
        given = (f"the {MEMBERS_TOKEN_ENV} environment variable" if os.environ.get(MEMBERS_TOKEN_ENV, "").strip()
                 else "[feeds] members_token")
        bad("feeds", "members_token", f"{given} must be 8 or more letters, digits, - or _",
            "use a long random string, e.g. from `python -c 'import secrets; print(secrets.token_urlsafe(16))'`")
    return fixes


def _check_site_url(config: SiteConfig, key: str, bad: Callable[[str, str, str, str], None]) -> None:
    """base_url and members_url: absolute http(s) URLs; members_url (optional) on base_url's path."""
    url = getattr(config, key)
    if key == "members_url" and not url:
        return
    if not is_site_url(url):
        bare = re.fullmatch(r"(?://)?([A-Za-z0-9.-]+\.[A-Za-z]{2,}(?::\d+)?(?:/\S*)?)", url.strip())
        bad("", key, f'{key} must be an absolute http(s) URL, got "{url}"',
            f'start it with https://: {key} = "https://{bare.group(1)}"' if bare else
            f'for example: {key} = "https://{"members." if key == "members_url" else ""}example.com"')
        return
    public_path = urlsplit(config.base_url).path.rstrip("/")
    if key == "members_url" and is_site_url(config.base_url) and urlsplit(url).path.rstrip("/") != public_path:
        host = urlsplit(url)
        bad("", key, f'members_url must have the same path as base_url ("{public_path or "/"}"), got "{url}"',
            "the members pages link to each other under base_url's path; for example: "
            f'members_url = "{host.scheme}://{host.netloc}{public_path}"')


def _check_content_settings(config: SiteConfig, bad: Callable[[str, str, str, str], None]) -> dict[str, Any]:
    """The settings posts are read with; each bad one is reported and replaced by its default."""
    fixes: dict[str, Any] = {}
    try:
        ZoneInfo(config.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        close = _zone_like(config.timezone)
        bad("", "timezone", f'unknown time zone "{config.timezone}"',
            f'did you mean "{close}"?' if close else
            'use an IANA name such as "America/New_York", "Europe/London" or "UTC"')
        fixes["timezone"] = "UTC"
    if isinstance(config.image, str) and is_local_path(config.image):
        bad("", "image", f'image is a path on your computer: "{config.image}"',
            "copy the file under content/ and give its site path: content/images/card.png is /images/card.png")
        fixes["image"] = ""
    if isinstance(config.default_tier, str) and config.default_tier.lower() in ("free", "plus") \
            and config.default_tier not in ("free", "plus"):
        fixes["default_tier"] = config.default_tier.lower()  # as a post's `tier:` is read, in any case
    elif config.default_tier not in ("free", "plus"):
        bad("", "default_tier", f'default_tier must be "free" or "plus", got "{config.default_tier}"',
            'set default_tier = "free" or "plus"')
        fixes["default_tier"] = "free"
    if config.teaser_words < 0:
        bad("", "teaser_words", f"teaser_words must be 0 or more, got {config.teaser_words}",
            "it is how many words of a plus post the public sees")
        fixes["teaser_words"] = 150
    for key in ("free_after", "plus_after"):
        if getattr(config, key) < 0:
            bad("", key, f"{key} must be a whole number of days, 0 or more, got {getattr(config, key)}",
                f"0 (the default) turns the rule off; for example: {key} = 30")
            fixes[key] = 0
        elif getattr(config, key) > MAX_RULE_DAYS:
            bad("", key, f"{key} is {getattr(config, key)} days, more than a hundred years",
                f"0 (the default) turns the rule off; for example: {key} = 30")
            fixes[key] = 0
    return fixes


def _zone_like(name: str) -> str:
    """The IANA zone a mistyped one most likely means: "New York" -> "America/New_York"."""
    wanted = re.sub(r"[\s_-]+", "_", name.strip()).casefold()
    zones = sorted(available_timezones())
    by_city = {zone.rsplit("/", 1)[-1].casefold(): zone for zone in zones if "/" in zone}
    exact = next((zone for zone in zones if zone.casefold() == wanted), "") or by_city.get(wanted, "")
    if exact:
        return exact
    close = difflib.get_close_matches(wanted, list(by_city), n=1, cutoff=0.8)
    return by_city[close[0]] if close else ""


def source_date_epoch() -> dt.datetime | None:
    """SOURCE_DATE_EPOCH as a moment, None when unset or empty; anything but whole seconds is an error."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return None
    hint = ("set it to seconds since 1970-01-01 UTC, e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct), "
            "or unset it; --now takes a date: --now 2026-12-01")
    if not re.fullmatch(r"[0-9]+", raw):
        raise SiteError.one("SOURCE_DATE_EPOCH", None, f'"{raw}" is not a whole number of seconds', hint)
    try:
        return dt.datetime.fromtimestamp(int(raw), dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise SiteError.one("SOURCE_DATE_EPOCH", None, f"{raw} seconds is past any date a build can have",
                            hint) from None


def is_site_url(url: str) -> bool:
    """An absolute http(s) URL a site can be served from: base_url, or --base-url."""
    return re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?", url) is not None


def _permalink_problems(pattern: str, path: str, line: int | None) -> list[Problem]:
    names = re.findall(r"{([^}]*)}", pattern)
    hint = 'for example: permalink = "/{year}/{month}/{slug}/"'
    if not pattern.startswith("/") or not pattern.endswith("/") or "{slug}" not in pattern:
        return [Problem(path, line, f'permalink must start and end with "/" and contain {{slug}}, '
                        f'got "{pattern}"', hint)]
    unknown = [n for n in names if n not in PERMALINK_FIELDS]
    if unknown:
        return [Problem(path, line, f'permalink has unknown field {{{unknown[0]}}}',
                        f"fields: {', '.join('{' + f + '}' for f in PERMALINK_FIELDS)}")]
    try:
        pattern.format(**{name: "x" for name in PERMALINK_FIELDS})
    except (ValueError, IndexError, KeyError):
        return [Problem(path, line, f'permalink has an unmatched "{{" or "}}": "{pattern}"', hint)]
    if ".." in pattern.split("/") or "\\" in pattern:
        return [Problem(path, line, "permalink must not contain '..' or backslashes", hint)]
    return []


def _line_from_toml_error(message: str) -> int | None:
    found = re.search(r"at line (\d+)", message)
    return int(found.group(1)) if found else None


def site_toml_line(site_dir: str, section: str, key: str) -> int | None:
    """The line of `key = ...` in the site's site.toml (see _line_of); None if it cannot be read."""
    try:
        with open(os.path.join(site_dir, CONFIG_NAME), encoding="utf-8", errors="replace") as handle:
            return _line_of(handle.read(), section, key)
    except OSError:
        return None


def _line_of(text: str, section: str, key: str) -> int | None:
    """Find the line of `key = ...` inside `[section]` (or at the top when section is "")."""
    current = ""
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        header = re.fullmatch(r"\[\[?\s*([^\]]+?)\s*\]\]?", stripped)
        if header:
            current = header.group(1)
            if section and (current == f"{section}.{key}" or (current == section and key == "")):
                return number
            if not section and (current == key or current.startswith(f"{key}.")):  # a table: its header
                return number
            continue
        if current == section and re.match(rf'["\']?{re.escape(key)}["\']?\s*=', stripped):
            return number
    return None
