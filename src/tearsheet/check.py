"""`tearsheet check`: everything a build would report, and links that point nowhere, without writing.

The build's own stages make the site in memory (build.plan_site), so front-matter, site.toml,
template and duplicate-URL problems read exactly as `build` reports them. Then every HTML page of
both tiers is read for links, images and #anchors, and each one that points nowhere is traced back
to what wrote it: a Markdown file and line, site.toml, or a template.
"""

from __future__ import annotations

import dataclasses
import os
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit

from .build import BuildOptions, SitePlan, plan_site
from .cache import BuildCache, with_body
from .config import site_toml_line
from .content import SourcePost, front_matter_line, line_containing
from .errors import Problem, SiteError
from .output import FileData
from .parallel import default_jobs, run_tasks
from .render import RenderedPost, srcset_urls
from .search import PAGEFIND_DIR
from .site import TIERS, address_of, base_path, on_site, page_url, post_url
from .templates import page_specs

URL_ATTRIBUTES = {"href", "src", "poster", "data"}


@dataclass(frozen=True, slots=True)
class CheckReport:
    problems: tuple[Problem, ...]
    warnings: tuple[str, ...]
    pages: int  # HTML pages read
    links: int  # links to this site followed


@dataclass(frozen=True, slots=True)
class PageLinks:
    """What one HTML page links to, and the anchors it offers."""

    urls: tuple[str, ...]
    ids: frozenset[str]


@dataclass(frozen=True, slots=True)
class Broken:
    """A link on a page of one tier that points nowhere."""

    page: str  # output path of the page holding it
    href: str  # as written in the HTML
    reason: str  # "page" (nothing at that path) or "anchor" (no such id there)


def check_site(options: BuildOptions) -> CheckReport:
    """Plan the build as `tearsheet build` would, then follow every internal link; write nothing."""
    cache = BuildCache(options.site_dir, read_only=True) if options.cache else None  # what a build left, if any
    try:
        plan = plan_site(options, cache=cache)
    except SiteError as exc:
        return CheckReport(exc.problems, (), 0, 0)
    jobs = options.jobs or default_jobs()
    pages = {tier: read_pages(plan.trees[tier], jobs) for tier in TIERS}
    broken = {tier: list(broken_links(plan, tier, pages[tier])) for tier in TIERS}
    problems = _attribute(plan, broken, options.site_dir)
    problems += _missing_images(plan, options.site_dir)
    links = sum(len(p.urls) for tier_pages in pages.values() for p in tier_pages.values())
    return CheckReport(tuple(_unique(problems)), (*plan.warnings, *_placeholder_warnings(plan)),
                       sum(len(p) for p in pages.values()), links)


LINK_WARNINGS = 10  # broken links a build names before "and N more": `check` lists them all


def body_link_warnings(plan: SitePlan, site_dir: str) -> tuple[str, ...]:
    """Links and images in posts and pages that lead nowhere on the site, and `image:`s that name no file:
    the share of `check` a build can afford, read from the bodies' links rather than every page's HTML."""
    root = base_path(plan.config)
    host = urlsplit(plan.config.base_url).netloc.lower()

    def ours(link: str) -> bool:  # a link to another site (most of a markets note's) is not followed
        if link.startswith("//"):
            rest = link[2:]
        elif "://" in link:
            rest = link.partition("://")[2]
        else:
            return True
        return rest.partition("/")[0].partition("?")[0].partition("#")[0].lower() == host

    everything = (*plan.posts, *plan.pages)
    # a site's notes link to the same few sites again and again: each address is judged once
    on_this_site = {link for link in {link for post in everything for link in post.full.links} if ours(link)}
    pages: dict[str, PageLinks] = {}
    post_of: dict[str, RenderedPost] = {}
    for post in everything:
        page = _path_of(address_of(plan.config, post.meta), root)
        post_of[page] = post
        pages[page] = PageLinks(tuple([on_site(plan.config, link) for link in post.full.links if link in on_this_site]),
                                frozenset())
    broken = [item for item in broken_links(plan, "members", pages) if item.reason == "page"]  # no ids read here
    named = broken[:LINK_WARNINGS]
    sources = _bodies_of({post_of[item.page].meta.path for item in named}, plan, site_dir)
    problems = [_problem(plan, item, sources[post_of[item.page].meta.path], "", False, site_dir,
                         {post_of[item.page].meta.path: set(post_of[item.page].full.links)}) for item in named]
    problems += _missing_images(plan, site_dir)
    warnings = [f"{p.path}{f':{p.line}' if p.line else ''}: {p.message} ({p.hint})" for p in _unique(problems)]
    if len(broken) > len(named):
        warnings.append(f"... and {len(broken) - len(named)} more links that lead nowhere: `tearsheet check` "
                        "lists every one")
    return tuple(warnings)


def _bodies_of(paths: set[str], plan: SitePlan, site_dir: str) -> dict[str, SourcePost]:
    """The sources of these files, with the bodies a build let go of once rendered read again (for lines)."""
    found = {}
    for item in (*plan.source.posts, *plan.source.pages):
        if item.meta.path in paths:
            found[item.meta.path] = item if item.body or item.body_at is not None else _reread(item, site_dir)
    return found


def _reread(item: SourcePost, site_dir: str) -> SourcePost:
    try:
        with open(os.path.join(site_dir, item.meta.path), encoding="utf-8-sig", errors="replace") as handle:
            lines = handle.read().split("\n")
    except OSError:
        return item
    return dataclasses.replace(item, body="\n".join(lines[item.body_line - 1 :]))


PLACEHOLDER_HOST = re.compile(r"(?:^|\.)example\.(?:com|org|net)$|\.example$", re.IGNORECASE)  # RFC 2606


def _placeholder_warnings(plan: SitePlan) -> list[str]:
    """Addresses still at example.com (a new site's placeholders): a subscribe link there loses a sale."""
    warnings = []
    config = plan.config
    settings = [("base_url", config.base_url), ("members_url", config.members_url),
                ("[paywall] subscribe_url", config.paywall.subscribe_url),
                ("[paywall] login_url", config.paywall.login_url)]
    for name, url in settings:
        if PLACEHOLDER_HOST.search(urlsplit(url).hostname or ""):
            warnings.append(f"site.toml: {name} is {url}, a placeholder address: set your own before you publish")
    for post in (*plan.posts, *plan.pages):
        for url in post.full.links:
            if PLACEHOLDER_HOST.search(urlsplit(url).hostname or ""):
                warnings.append(f"{post.meta.path}: links to {url}, a placeholder address: set your own before "
                                "you publish")
    return warnings


def read_pages(tree: dict[str, FileData], jobs: int = 1) -> dict[str, PageLinks]:
    """The links and ids of every HTML page the build made (not copied files), read on `jobs` processes."""
    paths = [path for path, data in tree.items() if path.endswith(".html") and isinstance(data, bytes)]
    parts = [paths[start : start + READ_PART] for start in range(0, len(paths), READ_PART)]
    found: dict[str, PageLinks] = {}
    for index, links in run_tasks([(_page_links, part, tree) for part in parts], jobs):
        found.update(zip(parts[index], links, strict=True))
    return {path: found[path] for path in paths}  # in the tree's order, whichever worker read them


READ_PART = 256  # pages a worker reads at a time


def _page_links(paths: list[str], tree: dict[str, FileData]) -> list[PageLinks]:
    links = []
    for path in paths:
        data = tree[path]
        assert isinstance(data, bytes)
        parser = _LinkParser()
        parser.feed(data.decode("utf-8", "replace"))
        parser.close()
        links.append(PageLinks(tuple(parser.urls), frozenset(parser.ids)))
    return links


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value)
            elif name in URL_ATTRIBUTES and not (tag == "link" and _is_preconnect(attrs)):
                self.urls.append(value.strip())
            elif name == "srcset":
                self.urls.extend(srcset_urls(value))

    handle_startendtag = handle_starttag


def _is_preconnect(attrs: list[tuple[str, str | None]]) -> bool:
    rel = dict(attrs).get("rel") or ""
    return any(word in rel.split() for word in ("preconnect", "dns-prefetch"))


def broken_links(plan: SitePlan, tier: str, pages: dict[str, PageLinks]) -> Iterator[Broken]:
    """Every link on this tier's pages to a path of the site that it does not have."""
    tree = plan.trees[tier]
    site = urlsplit(plan.config.base_url)
    root = base_path(plan.config)
    resolved: dict[str, tuple[bool, str | None, str]] = {}  # href starting with "/" -> where it leads, from any page
    for page, links in sorted(pages.items()):
        here = f"{site.scheme}://{site.netloc}{_url_of(page, root)}"
        for href in links.urls:
            if href == plan.config.paywall.login_url:  # a login lives on the members' system, not in this build
                continue
            known = resolved.get(href)
            if known is None:
                known = _target(plan, tree, site.netloc, root, here, href)
                if href.startswith("/"):  # the page it is on changes nothing: the site's nav, tags, cards
                    resolved[href] = known
            ours, found, fragment = known
            if not ours:
                continue
            if found is None:
                yield Broken(page, href, "page")
            elif fragment and found in pages and unquote(fragment) not in pages[found].ids:
                yield Broken(page, href, "anchor")


def _target(plan: SitePlan, tree: dict[str, FileData], netloc: str, root: str, here: str,
            href: str) -> tuple[bool, str | None, str]:
    """(whether the link is to this site's pages, the output file it leads to, its fragment)."""
    target = urlsplit(urljoin(here, href))
    if target.scheme not in ("http", "https") or target.netloc != netloc:
        return False, None, ""
    path = _normal_path(target.path)
    if _generated_later(plan, path, root) or _elsewhere_on_host(href, path, root):
        return False, None, ""
    return True, _file_for(tree, path, root), target.fragment


def _elsewhere_on_host(href: str, path: str, root: str) -> bool:
    """A full URL of the site's host outside the base path: another site's page (https://host/shop/), not ours.

    A root-relative /x on a site at /blog is still checked: it was meant for this site and misses it.
    """
    return bool(urlsplit(href).netloc) and not _under(path, root)


def _under(path: str, root: str) -> bool:
    return not root or path == root or path.startswith(root + "/")


def _normal_path(raw: str) -> str:
    """Decode and resolve a URL path, keeping a trailing slash: /a/./b/ -> /a/b/."""
    path = posixpath.normpath(unquote(raw) or "/")
    return path + "/" if raw.endswith("/") and path != "/" else path


def _url_of(page: str, root: str) -> str:
    """The URL of an output path: about/index.html -> /about/."""
    if page == "index.html":
        return f"{root}/"
    if page.endswith("/index.html"):
        return f"{root}/{page[: -len('index.html')]}"
    return f"{root}/{page}"


def _file_for(tree: dict[str, FileData], path: str, root: str) -> str | None:
    """The output file a URL path is served from, as a static host would pick it."""
    if not _under(path, root):
        return None
    inside = path[len(root):].lstrip("/")
    for candidate in (inside + "index.html" if inside.endswith("/") or not inside else inside,
                      inside.rstrip("/") + "/index.html"):
        if candidate in tree:
            return candidate
    return None


def _generated_later(plan: SitePlan, path: str, root: str) -> bool:
    """The search index is made from the written pages, so it is not in the planned trees."""
    return plan.pagefind is not None and path.startswith(f"{root}/{PAGEFIND_DIR}/")


def _attribute(plan: SitePlan, broken: dict[str, list[Broken]], site_dir: str) -> list[Problem]:
    """Name the file (and line) that wrote each broken link; members first, then what only the public lacks."""
    if not broken["members"] and not broken["public"]:
        return []
    sources = _sources_by_page(plan)
    body_links = _links_by_source(plan)
    templates = {tier: {spec.path: spec.template for spec in page_specs(plan.sites[tier])} for tier in TIERS}
    problems: list[Problem] = []
    in_members = {(b.page, b.href) for b in broken["members"]}
    for tier in ("members", "public"):
        for item in broken[tier]:
            public_only = tier == "public" and (item.page, item.href) not in in_members
            problems.append(_problem(plan, item, sources.get(item.page), templates[tier].get(item.page, ""),
                                     public_only, site_dir, body_links))
    return problems


def _sources_by_page(plan: SitePlan) -> dict[str, SourcePost]:
    """The source of each post's and page's output file (its body read when the cache left it unread)."""
    root = base_path(plan.config)
    by_url = {post_url(plan.config, p.meta): p for p in plan.source.posts if p.meta.date is not None}
    by_url.update({page_url(plan.config, p.meta): p for p in plan.source.pages})
    return {_path_of(url, root): source for url, source in by_url.items()}


def _path_of(url: str, root: str) -> str:
    inside = url[len(root):].strip("/")
    return f"{inside}/index.html" if inside else "index.html"


def _problem(plan: SitePlan, item: Broken, source: SourcePost | None, template: str, public_only: bool,
             site_dir: str, body_links: dict[str, set[str]]) -> Problem:
    what = (f"#{urlsplit(item.href).fragment} is not a heading or anchor on that page" if item.reason == "anchor"
            else "nothing on the site is at that address")
    where = " in the public edition" if public_only else ""
    written = _as_written(plan, item.href, body_links.get(source.meta.path, set())) if source is not None else None
    if source is not None and written is not None:
        line = _line_of(with_body(source), written)  # a source the cache knew was not read: read it for the line
        return Problem(source.meta.path, line, f"link to {written}{where}: {what}",
                       _address_hint(plan, item, written) or _hint(item, public_only))
    hint = _address_hint(plan, item, item.href) or _hint(item, False)
    config_key, written = _config_key(plan, item.href)
    if config_key:
        return Problem("site.toml", line_containing(site_dir, "site.toml", f'"{written}"'),
                       f"{config_key} {written}: {what}", _address_hint(plan, item, written) or hint)
    return Problem(_template_path(template, site_dir), None,
                   f"link to {item.href} on {_url_of(item.page, base_path(plan.config))}{where}: {what}", hint)


def _hint(item: Broken, public_only: bool) -> str:
    if public_only:
        return "the public sees only the teaser: link to a heading before the cut, or move the cut"
    if item.reason == "anchor":
        return "heading ids are the heading's words in lowercase joined by hyphens: ## Rates Outlook is #rates-outlook"
    return ("check the spelling; posts are at their permalink, files under content/ at the same path, and "
            "drafts and posts dated in the future are not on the site yet")


def _as_written(plan: SitePlan, href: str, written: set[str]) -> str | None:
    """The link of a body a page's href came from: itself, or a root-relative link the build put under the base path."""
    if href in written:
        return href
    return next((link for link in sorted(written) if on_site(plan.config, link) == href), None)


def _address_hint(plan: SitePlan, item: Broken, href: str) -> str:
    """What the writer meant, when it can be told: a post linked by its file, or a path missing its "/"."""
    if item.reason != "page":
        return ""
    target = urlsplit(href)
    fragment = f"#{target.fragment}" if target.fragment else ""
    if "\\" in unquote(href):
        return "links use forward slashes: " + unquote(href).replace("\\", "/")
    if target.path.lower().endswith(".md"):
        name = posixpath.basename(unquote(target.path))
        for post in (*plan.posts, *plan.pages):
            if posixpath.basename(post.meta.path) == name:
                url = address_of(plan.config, post.meta)
                return f"link to the post's address, not its file: {url}{fragment}"
        return "link to a post's address (its permalink), not its .md file"
    if target.scheme or target.netloc or target.path.startswith(("/", ".")) or not target.path:
        return _close_address(plan, href) if target.path.startswith("/") and not target.netloc else ""
    absolute = _normal_path("/" + target.path)
    served = _normal_path(on_site(plan.config, absolute))  # as the build serves what the writer should write
    if _file_for(plan.trees["members"], served, base_path(plan.config)) is not None:
        return f'a path without a leading "/" is relative to the page it is on: write {absolute}{fragment}'
    return ""


def _close_address(plan: SitePlan, href: str) -> str:
    """An address of the site the writer likely meant: the same file in another case, the same post's slug
    under another date."""
    root = base_path(plan.config)
    path = _normal_path(urlsplit(href).path)
    inside = path[len(root):].strip("/") if _under(path, root) else path.strip("/")
    if not inside:
        return ""
    by_case, by_slug = _addresses(plan)
    lowered = inside.lower()
    found = by_case.get(lowered) or by_case.get(f"{lowered}/index.html") or by_slug.get(
        (inside.rsplit("/", 1)[-1], inside.count("/")))
    return f"did you mean {_url_of(found, root)}?" if found else ""


_ADDRESSES: list[tuple[dict[str, FileData], tuple[dict[str, str], dict[tuple[str, int], str]]]] = []


def _addresses(plan: SitePlan) -> tuple[dict[str, str], dict[tuple[str, int], str]]:
    """The members tree's paths by their lower case, and its pages by (slug, depth): made once per tree (the
    tree is kept with them, so a later tree never takes them for its own; a preview plans again and again)."""
    tree = plan.trees["members"]
    if not _ADDRESSES or _ADDRESSES[0][0] is not tree:
        by_case = {path.lower(): path for path in sorted(tree, reverse=True)}  # the first in order wins
        by_slug = {}
        for path in sorted(tree, reverse=True):
            if path.endswith("/index.html"):
                folder = path[: -len("/index.html")]
                by_slug[(folder.rsplit("/", 1)[-1], folder.count("/"))] = path
        _ADDRESSES[:] = [(tree, (by_case, by_slug))]
    return _ADDRESSES[0][1]


def _links_by_source(plan: SitePlan) -> dict[str, set[str]]:
    """{source file: every link its bodies hold, of both editions}."""
    links: dict[str, set[str]] = {}
    for post in (*plan.posts, *plan.pages):
        links.setdefault(post.meta.path, set()).update(post.full.links, post.public.links)
    return links


def _line_of(source: SourcePost, href: str) -> int | None:
    """The first body line holding the link as written (or decoded), counted in the whole file."""
    lines = source.body.split("\n")
    for needle in (href, unquote(href)):
        # whole: images/x.png is not the line holding /images/x.png
        whole = re.compile(rf"(?<![\w/.-]){re.escape(needle)}(?![\w/-])")
        for number, line in enumerate(lines):
            if whole.search(line):
                return source.body_line + number
    for needle in (href, unquote(href)):
        for number, line in enumerate(lines):
            if needle in line:
                return source.body_line + number
    return None


def _config_key(plan: SitePlan, href: str) -> tuple[str, str]:
    """The site.toml key a page's href came from, and its value as written there ("" when none)."""
    paywall = plan.config.paywall
    written = [(f'[[menu]] "{item.title}" url', item.url) for item in plan.config.menu]
    written += [(f"[paywall] {key}", getattr(paywall, key)) for key in ("subscribe_url", "login_url")]
    for served in (lambda url: url, lambda url: on_site(plan.config, url)):  # as written first, then as served
        for key, url in written:
            if url and served(url) == href:
                return key, url
    return "", ""


def _template_path(template: str, site_dir: str) -> str:
    if template and os.path.isfile(os.path.join(site_dir, "templates", template)):
        return f"templates/{template}"
    return f"(built-in theme) {template}" if template else "templates"


def _missing_images(plan: SitePlan, site_dir: str) -> list[Problem]:
    """A post's or page's `image:` (its social card) must be a file of the site or a full URL."""
    problems = []
    site = urlsplit(plan.config.base_url)
    root = base_path(plan.config)
    images = [(post.meta.image, address_of(plan.config, post.meta), post.meta.path)
              for post in (*plan.posts, *plan.pages)]
    for image, own, source in [*images, (plan.config.image, f"{root}/", "site.toml")]:
        if not image:
            continue
        served = on_site(plan.config, image)  # /images/x.svg is /blog/images/x.svg on a site at /blog
        target = urlsplit(urljoin(f"{site.scheme}://{site.netloc}{own}", served))
        path = _normal_path(target.path)
        if target.netloc != site.netloc or _elsewhere_on_host(served, path, root):
            continue
        if _file_for(plan.trees["public"], path, root) is None:  # where link previews fetch it
            line = (front_matter_line(site_dir, source, "image") if source != "site.toml"
                    else site_toml_line(site_dir, "", "image"))
            problems.append(Problem(source, line, f"image {image}: no such file on the site",
                                    "put the file under content/ (content/images/x.png is /images/x.png)"))
    return problems


def _unique(problems: list[Problem]) -> Iterator[Problem]:
    seen = set()
    for problem in problems:
        key = (problem.path, problem.line, problem.message)
        if key not in seen:
            seen.add(key)
            yield problem


def github_annotation(problem: Problem, site_dir: str, level: str = "error") -> str:
    """A GitHub Actions workflow command: the problem shows on the file and line in a pull request."""
    props = []
    file = os.path.join(site_dir, problem.path)
    if os.path.isfile(file):
        props.append(f"file={_escape_property(os.path.relpath(file).replace(os.sep, '/'))}")
        if problem.line:
            props.append(f"line={problem.line}")
    props.append("title=tearsheet check")
    message = problem.message if os.path.isfile(file) else f"{problem.path}: {problem.message}"
    if problem.hint:
        message += "\n" + problem.hint
    return f"::{level} {','.join(props)}::{_escape_data(message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
