"""View records -> HTML: the Jinja environment and every HTML page of one tier's site."""

from __future__ import annotations

import collections
import datetime as dt
import os
import re
import sys
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
import markupsafe
from jinja2.compiler import CodeGenerator, Frame
from markupsafe import Markup

from .errors import SiteError, did_you_mean
from .metadata import HeadMaker, HeadMeta
from .site import PageView, PostView, Site, Term, absolute_url, base_path

THEME_DIR = os.path.join(os.path.dirname(__file__), "theme")


@dataclass(frozen=True, slots=True)
class Pager:
    """One page of a paginated list."""

    posts: tuple[PostView, ...]
    number: int
    total: int
    prev_url: str
    next_url: str
    first_url: str


@dataclass(frozen=True, slots=True)
class PageSpec:
    """One HTML file to write: its output path, template and context."""

    path: str
    template: str
    context: dict[str, Any]


_escape_text = getattr(markupsafe, "_escape_inner", None)  # MarkupSafe 3's C escaping of a str
_new_str = str.__new__


def escape_output(value: Any) -> Markup:
    """What markupsafe.escape makes of a value, in fewer steps for the kinds a page prints most.

    MarkupSafe 3 checks each value for __html__ and builds each Markup in Python: about 70 values a
    page, a few per cent of the time a template change takes. Here a str is escaped and wrapped in C,
    a Markup is safe as it is, an int has nothing to escape; anything else goes to markupsafe.escape.
    """
    kind = type(value)
    if kind is str and _escape_text is not None:
        return _new_str(Markup, _escape_text(value))
    if kind is Markup:
        return value
    if kind is int:
        return _new_str(Markup, str(value))
    return markupsafe.escape(value)


class _EscapingCodeGenerator(CodeGenerator):
    """Jinja's code generator, with each autoescaped `{{ value }}` written through escape_output."""

    def _output_child_pre(self, node: jinja2.nodes.Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.autoescape and not frame.eval_ctx.volatile:
            self.write("environment.escape_output(")  # `environment` is a global of every compiled template
        else:
            super()._output_child_pre(node, frame, finalize)


class _Environment(jinja2.Environment):
    code_generator_class = _EscapingCodeGenerator
    escape_output = staticmethod(escape_output)


def make_environment(site_dir: str, code_cache: jinja2.BytecodeCache | None = None) -> jinja2.Environment:
    """The site's templates/ first, then the built-in theme, name by name; compiled code kept in code_cache."""
    loader = jinja2.ChoiceLoader([
        jinja2.FileSystemLoader(os.path.join(site_dir, "templates")),
        jinja2.FileSystemLoader(os.path.join(THEME_DIR, "templates")),
    ])
    # auto_reload off: a build reads each template once, rather than stat it at every include
    env = _Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, auto_reload=False,
                       bytecode_cache=code_cache)
    env.filters["date"] = _format_date
    env.filters["isodate"] = lambda value: value.isoformat() if value else ""
    return env


def template_words(site_dir: str) -> Iterator[tuple[str, str]]:
    """(template, words) of what the site's templates and the theme's write as they stand, outside tags and
    expressions; a template is named as errors name it. Templates that do not parse are passed over."""
    env = make_environment(site_dir)
    for name in env.list_templates():
        try:
            source, filename, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
            tree = env.parse(source)
        except (jinja2.TemplateError, OSError, UnicodeDecodeError):
            continue
        shown = _display_path(filename or name, site_dir)
        yield from ((shown, node.data) for node in tree.find_all(jinja2.nodes.TemplateData))


def files_named(site_dir: str, urls: Sequence[str]) -> frozenset[str]:
    """Which of these URLs of files under content/ ("/images/logo.png") the site's own templates name,
    comments aside: for the warning that such a file is on the members site only (see site.assets_for)."""
    texts = []
    for root, dirs, names in os.walk(os.path.join(site_dir, "templates")):
        dirs.sort()
        for name in sorted(names):
            if not os.path.isfile(os.path.join(root, name)):  # a named pipe, say: reading it would wait
                continue
            try:
                with open(os.path.join(root, name), encoding="utf-8", errors="replace") as handle:
                    texts.append(TEMPLATE_COMMENT.sub(" ", handle.read()))
            except OSError:
                continue  # make_environment reports a template it cannot read
    text = "\n".join(texts)
    return frozenset(url for url in urls if text and re.search(
        rf"(?<![\w.-]){re.escape(url.lstrip('/'))}(?![\w-])", text)) if text else frozenset()


TEMPLATE_COMMENT = re.compile(r"\{#.*?#\}|<!--.*?-->", re.DOTALL)


def check_templates(env: jinja2.Environment, site_dir: str) -> None:
    """Compile every template now, so a syntax error names its file and line before anything renders."""
    problems = []
    for name in sorted(env.list_templates(extensions=["html", "xml", "txt", "json"])):
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            problems.append(_syntax_problem(exc, site_dir))
        except jinja2.TemplateNotFound:  # listed, yet no file: a named pipe, say (which reading would wait on)
            from .errors import Problem

            problems.append(Problem(f"templates/{name}", None, "is not a file but a named pipe, socket or device, "
                                    "which a site cannot use as a template", "remove it from the folder"))
    if problems:
        raise SiteError(problems)


def _syntax_problem(exc: jinja2.TemplateSyntaxError, site_dir: str):  # type: ignore[no-untyped-def]
    from .errors import Problem

    path = _display_path(exc.filename or exc.name or "template", site_dir)
    return Problem(path, exc.lineno, f"template syntax error: {exc.message}",
                   "check the {% %} and {{ }} tags on that line; every {% if %}/{% for %} needs its {% end... %}")


def _display_path(filename: str, site_dir: str) -> str:
    if filename.startswith(THEME_DIR):
        return "(built-in theme) " + os.path.relpath(filename, THEME_DIR)
    return os.path.relpath(filename, site_dir).replace(os.sep, "/")


def render_pages(env: jinja2.Environment, site: Site, site_dir: str,
                 assets_urls: dict[str, str], public: Site | None = None) -> dict[str, bytes]:
    """Render every HTML page of one tier's site; return {output path: bytes}.

    `public` is the public Site: a page's meta description and JSON-LD come from its teasers.
    """
    globals_ = page_globals(site, assets_urls, public)
    return {spec.path: render_page(env, spec, globals_, site_dir) for spec in page_specs(site)}


def page_globals(site: Site, assets_urls: dict[str, str], public: Site | None = None) -> dict[str, Any]:
    """What every page's template may use besides its own context (cache.py keys pages by these names)."""
    return {"site": site, "config": site.config, "tier": site.tier, "paywall": site.config.paywall,
            "root": base_path(site.config), "asset": lambda name: assets_urls.get(name, name),
            "absolute": lambda url: absolute_url(site, url),
            "head_meta": _head_meta_function(HeadMaker(site, public or site)),
            "post_card": _post_card_function()}


CARD_TEMPLATE = "partials/post_card.html"
CARD_GLOBALS = ("site", "config", "tier", "paywall", "root", "asset", "absolute", "head_meta", "post_card")


def _post_card_function():  # type: ignore[no-untyped-def]
    """`post_card(post)` in a template: partials/post_card.html for a post, rendered once per post and tier.

    A post shows the same card on every list (like Hugo's partialCached), so the card sees `post` and
    the globals only. What it read of the site (for page keys, see pagekeys) is noted on every page
    that shows it, as if it had been rendered there.
    """
    made: dict[tuple[int, str], tuple[Markup, set[Any]]] = {}

    @jinja2.pass_context
    def post_card(context: jinja2.runtime.Context, post: Any) -> Markup:
        reads = getattr(post, "_reads", None)  # a page-key mirror's record notes what templates read
        key = (id(context["site"]), post.url)
        if key not in made:
            saved = set(reads) if reads is not None else set()
            if reads is not None:
                reads.clear()
            card_context = {name: context[name] for name in CARD_GLOBALS if name in context}
            html = Markup(context.environment.get_template(CARD_TEMPLATE).render({**card_context, "post": post}))
            made[key] = (html, set(reads) if reads is not None else set())
            if reads is not None:
                reads |= saved
        html, card_reads = made[key]
        if reads is not None:
            reads |= card_reads
        return html

    return post_card


def render_page(env: jinja2.Environment, spec: PageSpec, globals_: dict[str, Any], site_dir: str) -> bytes:
    """One page's HTML."""
    return _render(env, spec.template, {**globals_, **spec.context, "page_path": spec.path}, site_dir).encode("utf-8")


def _head_meta_function(maker: HeadMaker):  # type: ignore[no-untyped-def]
    """`head_meta()` in a template: the page's canonical URL, social tags, feeds and JSON-LD."""

    @jinja2.pass_context
    def head_meta(context: jinja2.runtime.Context) -> HeadMeta:
        return maker.head(context["page_path"], post=context.get("post"), page=context.get("page"),
                          term=context.get("term"), heading=context.get("heading") or "",
                          intro=context.get("intro") or "")

    return head_meta


def _render(env: jinja2.Environment, name: str, context: dict[str, Any], site_dir: str) -> str:
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise SiteError([_syntax_problem(exc, site_dir)]) from None
    except jinja2.TemplateNotFound as exc:
        raise SiteError.one(*_where(_template_frame(exc), site_dir, name),
                            f'template error: there is no template "{exc.name}" to include, import or extend',
                            "a name is looked up in templates/, then in the built-in theme (partials/nav.html, "
                            "post.html, ...): check its spelling and folder") from None
    except jinja2.TemplateError as exc:
        message, hint = _missing_field(str(exc)) or (
            f"template error: {exc}", "check the names used on that line against the template guide in the README")
        raise SiteError.one(*_where(_template_frame(exc), site_dir, name), message, hint) from None
    except SiteError:
        raise
    except RecursionError as exc:
        raise SiteError.one(*_where(_repeated_frame(exc), site_dir, name),
                            "template error: templates include or call one another without end",
                            "a template may not include itself, or one that includes it") from None
    except Exception as exc:  # an expression that fails as it runs: 1/0, a number plus a string, a filter misused
        raise SiteError.one(*_where(_template_frame(exc), site_dir, name),
                            f"template error: {exc} ({type(exc).__name__})",
                            "check the expressions on that line: the values they use, and what filters and "
                            "functions take (see the template guide in the README)") from None


MISSING_FIELD = re.compile(r"'([\w.]+) object' has no attribute '([^']*)'")


def _missing_field(message: str) -> tuple[str, str] | None:
    """A field a template asked a record for that it lacks, said in the template's words, not Python's."""
    found = MISSING_FIELD.fullmatch(message)
    if found is None:
        return None
    module, _, class_name = found.group(1).rpartition(".")
    record = getattr(sys.modules.get(module), class_name, None)
    if not isinstance(record, type):
        return None
    while record.__name__.startswith("_") and record.__bases__[0] is not object:  # a page-key mirror's record
        record = record.__bases__[0]
    what = RECORD_NAMES.get(record.__name__, record.__name__)
    names = sorted(n for n in dir(record) if not n.startswith("_") and not n.startswith("packed_"))
    close = did_you_mean(found.group(2), names)
    return (f'template error: {what} has no field "{found.group(2)}"' + (f" ({close})" if close else ""),
            f"{what} has: {', '.join(names)}")


RECORD_NAMES = {"SiteConfig": "config", "PostView": "a post", "PageView": "a page", "Term": "a tag, series or author",
                "Site": "site", "Paywall": "paywall", "Pager": "pager", "Link": "a tag, series or author link",
                "HeadMeta": "head_meta()", "Year": "an archive year", "Month": "an archive month"}


def _template_frame(exc: BaseException) -> tuple[str, int | None]:
    """Jinja rewrites tracebacks so template frames carry the template's file and line."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith((".html", ".xml", ".txt", ".json")):
            return frame.filename, frame.lineno
    return "", None


def _where(frame: tuple[str, int | None], site_dir: str, name: str) -> tuple[str, int | None]:
    """The file and line a template error names: the frame's template, else the page's."""
    filename, line = frame
    return (_display_path(filename, site_dir) if filename else f"template {name}"), line


def _repeated_frame(exc: BaseException) -> tuple[str, int | None]:
    """The template line a runaway recursion passes through most: the include that repeats."""
    frames = [(f.filename, f.lineno) for f in traceback.extract_tb(exc.__traceback__)
              if f.filename.endswith((".html", ".xml", ".txt", ".json"))]
    return collections.Counter(frames).most_common(1)[0][0] if frames else ("", None)


def _format_date(value: dt.datetime | None, fmt: str = "%B %-d, %Y") -> str:
    if value is None:
        return ""
    return value.strftime(fmt.replace("%-d", str(value.day)).replace("%-m", str(value.month)))


def page_specs(site: Site) -> Iterator[PageSpec]:
    """Every HTML page of the site, in a fixed order."""
    root = base_path(site.config)
    yield from _paginated("index.html", f"{root}/", root, site.posts, site.config.posts_per_page,
                          {"heading": "", "intro": site.config.description, "term": None, "kind": "home"})
    for number in range(len(site.posts)):
        yield post_page_spec(site, number)
    for page in site.pages:
        yield content_page_spec(site, page)
    for kind, plural, terms in (("tag", "tags", site.tags), ("series", "series", site.series),
                                ("author", "authors", site.authors)):
        yield PageSpec(f"{plural}/index.html", "terms.html", {"kind": kind, "plural": plural, "terms": terms})
        for term in terms:
            yield from _term_pages(site, term, root)
    yield PageSpec("archive/index.html", "archive.html", {"years": site.years, "year": None})
    for year in site.years:
        yield PageSpec(f"archive/{year.year}/index.html", "archive.html", {"years": (year,), "year": year})
        for month in year.months:
            label = dt.date(month.year, month.month, 1).strftime("%B %Y")
            yield from _paginated("list.html", month.url, root, month.posts, site.config.posts_per_page,
                                  {"heading": label, "intro": "", "term": None, "kind": "month"})
    if site.config.search.enabled:
        yield PageSpec("search/index.html", "search.html", {})
    yield PageSpec("404.html", "404.html", {})


def post_page_spec(site: Site, number: int) -> PageSpec:
    """The page of the site's post at `number` (newest first)."""
    posts = site.posts
    newer = posts[number - 1] if number > 0 else None
    older = posts[number + 1] if number + 1 < len(posts) else None
    post = posts[number]
    return PageSpec(_file_for(post.url, base_path(site.config)), "post.html",
                    {"post": post, "newer": newer, "older": older})


def content_page_spec(site: Site, page: PageView) -> PageSpec:
    """The page of a content page (About, Subscribe)."""
    return PageSpec(_file_for(page.url, base_path(site.config)), "page.html", {"page": page})


def _term_pages(site: Site, term: Term, root: str) -> Iterator[PageSpec]:
    heading = {"tag": f"Tagged \u201c{term.name}\u201d", "series": term.name, "author": term.name}[term.kind]
    yield from _paginated("list.html", term.url, root, term.posts, site.config.posts_per_page,
                          {"heading": heading, "intro": term.bio, "term": term, "kind": term.kind})


def _paginated(template: str, first_url: str, root: str, posts: Sequence[PostView], per_page: int,
               context: dict[str, Any]) -> Iterator[PageSpec]:
    total = max(1, -(-len(posts) // per_page))

    def url_of(number: int) -> str:
        return first_url if number == 1 else f"{first_url}page/{number}/"

    for number in range(1, total + 1):
        pager = Pager(tuple(posts[(number - 1) * per_page : number * per_page]), number, total,
                      url_of(number - 1) if number > 1 else "", url_of(number + 1) if number < total else "",
                      first_url)
        yield PageSpec(_file_for(url_of(number), root), template, {**context, "pager": pager})


def _file_for(url: str, root: str) -> str:
    path = url[len(root):] if root and url.startswith(root) else url
    return path.strip("/") + "/index.html" if path.strip("/") else "index.html"
