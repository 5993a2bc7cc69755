"""The tearsheet command: the only place that prints and exits."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import sys
import time
from collections.abc import Sequence
from typing import TextIO

from . import __version__
from .access import TierChange
from .build import BuildOptions, build_site, count_of, left_out_note
from .errors import SiteError
from .frontmatter import PostMeta
from .heap import fewer_collections, no_collections

SITE_DIR_HELP = "the folder holding site.toml (default: this folder, or the nearest one above it holding one)"


def main(argv: Sequence[str] | None = None) -> int:
    fewer_collections()
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    for name in ("site_dir", "site"):  # not given: the site this folder is in, as git finds its repository
        if hasattr(args, name) and getattr(args, name) is None:
            setattr(args, name, _nearest_site(os.getcwd()))
    try:
        return int(args.run(args) or 0)
    except SiteError as exc:
        print(f"error: {exc.report()}" if len(exc.problems) == 1 else exc.report(), file=sys.stderr)
        if getattr(args, "command", "") == "build":
            print("Nothing was written: the previous output is as it was.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted: the previous output is as it was.", file=sys.stderr)
        return 130
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        print(f"error:{where}: {exc.strerror or exc}", file=sys.stderr)
        kept = "; the previous output is as it was" if args.command in ("build", "clean") else ""
        print(f"    check the disk has space and the folder is writable{kept}.", file=sys.stderr)
        return 1


def _nearest_site(folder: str) -> str:
    """The current folder, or the nearest folder above it holding site.toml (relative), else "."."""
    here = folder
    while True:
        if os.path.isfile(os.path.join(here, "site.toml")):
            return os.path.relpath(here, folder)
        parent = os.path.dirname(here)
        if parent == here:
            return "."
        here = parent


def run() -> None:
    """The `tearsheet` command: main(), then an exit that leaves the process's memory to the system.

    Python's own exit frees a build's objects one by one: 25 ms, 3% of a one-edit build. Every file is
    closed and every worker joined by then; only the standard streams may still hold text.
    """
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe, say: Python's own exit would report it and exit 120
        code = code or 120
    os._exit(code)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tearsheet", description="Build a public site and a members site from Markdown essays.")
    parser.add_argument("--version", action="version", version=f"tearsheet {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    build = commands.add_parser("build", help="build output/public and output/members",
                                description="Build the public site and the members site.")
    build.add_argument("site_dir", nargs="?", default=None, metavar="SITE_DIR",
                       help=SITE_DIR_HELP)
    build.add_argument("--out", metavar="DIR", help="where to write public/ and members/ (default: SITE_DIR/output)")
    _add_selection_flags(build)
    build.add_argument("--base-url", metavar="URL", help="override base_url from site.toml (for preview deploys)")
    build.add_argument("--now", metavar="DATETIME", type=_datetime,
                       help="build as if it were this moment (ISO date); also SOURCE_DATE_EPOCH")
    build.add_argument("--quiet", "-q", action="store_true", help="print nothing on success (and show no progress)")
    build.add_argument("--jobs", "-j", type=_jobs, metavar="N", help="processes to build with (default: every core)")
    build.add_argument("--no-cache", dest="cache", action="store_false",
                       help="build everything afresh: neither read nor keep SITE_DIR/.tearsheet-cache/")
    build.set_defaults(run=_build)

    clean = commands.add_parser("clean", help="remove the build cache and the output",
                                description="Remove SITE_DIR/.tearsheet-cache/ and the output's public/ and "
                                            "members/ folders; the next build starts from scratch.")
    clean.add_argument("site_dir", nargs="?", default=None, metavar="SITE_DIR",
                       help=SITE_DIR_HELP)
    clean.add_argument("--out", metavar="DIR", help="the output folder to clean (default: SITE_DIR/output)")
    clean.set_defaults(run=_clean)

    check = commands.add_parser("check", help="check the site without writing output (for CI)",
                                description="Report every problem a build would, and links, anchors and "
                                            "images that point nowhere; write nothing. Exit 1 on problems.")
    check.add_argument("site_dir", nargs="?", default=None, metavar="SITE_DIR",
                       help=SITE_DIR_HELP)
    check.add_argument("--format", choices=("text", "github"), default="text",
                       help="text (default), or github: GitHub Actions annotations on the files and lines")
    _add_selection_flags(check)
    check.add_argument("--now", metavar="DATETIME", type=_datetime,
                       help="check as if it were this moment (ISO date); also SOURCE_DATE_EPOCH")
    check.set_defaults(run=_check)

    audit = commands.add_parser("audit", help="search a built public site for member-only text (for CI)",
                                description="Search every file of OUTPUT_DIR/public (gzip and brotli undone) for "
                                            "text of plus posts that only members may read. Exit 1 naming each "
                                            "leaking file.")
    audit.add_argument("out_dir", metavar="OUTPUT_DIR", help="the folder holding public/ (default of build: output)")
    audit.add_argument("--site", default=None, metavar="SITE_DIR", help="the site folder (default: see build)")
    audit.add_argument("--now", metavar="DATETIME", type=_datetime,
                       help="apply access rules as at this moment (ISO date); default: now")
    audit.set_defaults(run=_audit)

    new = commands.add_parser("new", help="start a new post",
                              description="Write a new post with front matter filled in.")
    new.add_argument("title", help='the title, in quotes: "The small-cap rotation"')
    new.add_argument("--tier", choices=("free", "plus"), help="free or plus (default: site.toml default_tier)")
    new.add_argument("--teaser", type=_teaser_words, metavar="N", help="words of a plus post the public sees")
    new.add_argument("--site", default=None, metavar="SITE_DIR", help="the site folder (default: see build)")
    new.set_defaults(run=_new)

    init = commands.add_parser("init", help="create a new site", description="Create a new site that builds at once.")
    init.add_argument("dir", metavar="DIR", help="the folder to create the site in")
    init.add_argument("--title", default="", help="the publication's name")
    init.set_defaults(run=_init)

    serve = commands.add_parser("serve", help="preview the site, rebuilding and reloading as you edit",
                                description="Serve a live preview of both tiers: public at /, members at /_members/.")
    serve.add_argument("site_dir", nargs="?", default=None, metavar="SITE_DIR",
                       help=SITE_DIR_HELP)
    serve.add_argument("--port", type=_port, default=8000, help="the port to listen on (default: 8000)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="the address to listen on (default: 127.0.0.1, this machine only)")
    _add_selection_flags(serve)
    serve.add_argument("--open", action="store_true", help="open the preview in your web browser")
    serve.set_defaults(run=_serve)
    return parser


def _add_selection_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--drafts", action="store_true", help="include posts marked draft: true")
    parser.add_argument("--future", action="store_true", help="include posts dated in the future")


def _datetime(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'"{value}" is not a date; write 2026-11-25 or 2026-11-25T07:00:00+00:00') from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _teaser_words(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f'"{value}" is not a whole number of words (0 or more)')
    return int(value)


class _Progress:
    """A progress bar on a terminal's stderr, drawn only once a build has taken over a second."""

    def __init__(self, stream: TextIO, enabled: bool) -> None:
        self.stream, self.enabled = stream, enabled
        self.start = self.last = time.monotonic()
        self.drawn = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.start < 1.0 or (now - self.last < 0.1 and done < total):
            return
        self.last, self.drawn = now, True
        filled = 30 * done // max(total, 1)
        self.stream.write(f"\r{stage:<16} [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}\x1b[K")
        self.stream.flush()

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _jobs(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f'"{value}" is not a number of processes (1 or more)')
    return int(value)


def _check_site_and_out(site_dir: str, out: str | None) -> None:
    """Refuse before anything is made: a folder that is not a site, or an output folder the build reads."""
    from .content import read_config

    read_config(site_dir)
    _check_out(site_dir, out)


def _check_out(site_dir: str, out: str | None) -> None:
    """--out must be a folder, and not one the build reads (a build there would read its own output)."""
    if out is None:
        return
    if os.path.exists(out) and not os.path.isdir(out):
        raise SiteError.one(out, None, "--out is a file, not a folder",
                            "pass a folder for public/ and members/, or drop --out to use SITE_DIR/output")
    real_out = os.path.realpath(out)
    for name in ("content", "templates", "static"):
        source = os.path.realpath(os.path.join(site_dir, name))
        if real_out == source or real_out.startswith(source + os.sep):
            raise SiteError.one(out, None, f"--out is inside the site's {name}/ folder",
                                f"the build reads {name}/, so its output cannot go there: "
                                "choose a folder outside it, such as SITE_DIR/output")


def _build(args: argparse.Namespace) -> int:
    from .config import is_site_url

    _check_site_and_out(args.site_dir, args.out)
    if args.base_url and not is_site_url(args.base_url):
        raise SiteError.one("--base-url", None, f'"{args.base_url}" is not an absolute http(s) URL',
                            "for example: --base-url https://preview.example.com")
    progress = _Progress(sys.stderr, enabled=sys.stderr.isatty() and not args.quiet and not os.environ.get("CI"))
    try:
        with no_collections():  # one build, then the process ends
            result = build_site(BuildOptions(site_dir=args.site_dir, out_dir=args.out, drafts=args.drafts,
                                             future=args.future, base_url=args.base_url, now=args.now,
                                             jobs=args.jobs, cache=args.cache, progress=progress))
    finally:
        progress.close()
    if not args.quiet:
        files = ", ".join(f"{tier} {count} files" for tier, count in result.files.items())
        print(f"Built {count_of(result.posts, 'post')} ({result.plus_posts} plus) and "
              f"{count_of(result.pages, 'page')}: {files} in {result.seconds:.2f}s -> "
              f"{os.path.relpath(result.out_dir)}/")
        _print_tier_changes(result.tier_changes)
        _print_left_out(result.left_out)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def _print_left_out(left_out: Sequence[PostMeta]) -> None:
    note = left_out_note(left_out)
    if note:
        print(note)


def _clean(args: argparse.Namespace) -> int:
    from .cache import clean_cache
    from .content import read_config
    from .output import clean_output
    from .site import TIERS

    if not os.path.isfile(os.path.join(args.site_dir, "site.toml")):  # only a site's folder is cleaned
        read_config(args.site_dir, content_problems=False)
    _check_out(args.site_dir, args.out)
    out_dir = args.out or os.path.join(args.site_dir, "output")
    removed = clean_cache(args.site_dir) + clean_output(out_dir, TIERS) + _clean_preview(args.site_dir)
    if removed:
        print("Removed " + ", ".join(os.path.relpath(path) + "/" for path in removed))
    else:
        print("Nothing to clean.")
    return 0


def _clean_preview(site_dir: str) -> list[str]:
    """Remove what `tearsheet serve` built (both tiers in full) and left under the site."""
    import shutil

    from .serve import PREVIEW_DIR

    folder = os.path.join(site_dir, PREVIEW_DIR)
    if not os.path.isdir(folder) or os.path.islink(folder):
        return []
    shutil.rmtree(folder)
    return [folder]


def _print_tier_changes(changes: Sequence[TierChange], shown: int = 10) -> None:
    """List the posts an access rule moved across the wall, most recent first."""
    if not changes:
        return
    print(f"{len(changes)} post{'s' if len(changes) != 1 else ''} on the other side of the wall by an access rule:")
    for change in changes[:shown]:
        since = change.since.isoformat(timespec="minutes")
        print(f"  {change.path}: {change.declared} -> {change.effective} since {since} "
              f"({change.rule}: {change.days} days)")
    if len(changes) > shown:
        print(f"  ... and {len(changes) - shown} more")


def _check(args: argparse.Namespace) -> int:
    from .check import check_site, github_annotation

    report = check_site(BuildOptions(site_dir=args.site_dir, drafts=args.drafts, future=args.future, now=args.now))
    if args.format == "github":
        for problem in report.problems:
            print(github_annotation(problem, args.site_dir))
        for warning in report.warnings:
            print(f"::warning title=tearsheet check::{warning}")
    else:  # problems first: they are what fails the check
        if report.problems:
            text = SiteError(report.problems).report()
            print(f"error: {text}" if len(report.problems) == 1 else text, file=sys.stderr)
        for warning in report.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    if report.problems:
        count = len(report.problems)
        print(f"tearsheet check: {count} problem{'s' if count != 1 else ''}", file=sys.stderr)
        return 1
    print(f"Checked {report.pages} pages and {report.links} links: no problems.")
    return 0


def _audit(args: argparse.Namespace) -> int:
    from .audit import audit_output

    out_dir = args.out_dir
    named = os.path.normpath(out_dir)
    if os.path.basename(named) == "public" and not os.path.isdir(os.path.join(named, "public")):
        out_dir = os.path.dirname(named) or "."  # OUTPUT_DIR/public given for OUTPUT_DIR: the tree meant
    report = audit_output(args.site, out_dir, args.now)
    if report.problems:
        raise SiteError(report.problems)
    print(f"Audited {report.files} files of {os.path.join(out_dir, 'public')} against {report.plus_posts} "
          "plus posts: no member-only text found.")
    return 0


def _new(args: argparse.Namespace) -> int:
    from .scaffold import write_new_post

    path = write_new_post(args.site, args.title, args.tier, args.teaser)
    print(path)
    return 0


def _init(args: argparse.Namespace) -> int:
    from .scaffold import init_site

    notes = init_site(args.dir, args.title)
    print(f"Created a new site in {args.dir}/\n  cd {shlex.quote(args.dir)} && tearsheet serve\n"
          "then open http://127.0.0.1:8000/ (it rebuilds and reloads as you write); `tearsheet build` builds "
          "the sites to publish into output/")
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


def _port(value: str) -> int:
    if not value.isdigit() or int(value) > 65535:
        raise argparse.ArgumentTypeError(f'"{value}" is not a port number (1-65535; 0 picks a free one)')
    return int(value)


def _serve(args: argparse.Namespace) -> int:
    import webbrowser

    from .serve import ServeOptions, serve

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    options = ServeOptions(site_dir=args.site_dir, host=args.host, port=args.port, drafts=args.drafts,
                           future=args.future)
    try:
        serve(options, log, ready=(lambda url: webbrowser.open(url + "/")) if args.open else None)
    except KeyboardInterrupt:
        log("\nStopped the preview server.")
    return 0


if __name__ == "__main__":
    run()
