"""The cache and the incremental writer make builds faster, never different.

Every test compares what a cached, parallel, incremental build leaves in output/ with what a plain
build (one process, no cache, every file written) makes of the same site, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

import tearsheet.parallel
from tearsheet import cache as cache_module
from tearsheet import parallel
from tearsheet.cache import CACHE_DIR
from tearsheet.cli import main
from tearsheet.content import read_config
from tearsheet.errors import SiteError
from tearsheet.output import TreeScans, _scan
from tearsheet.pagekeys import PageKeys

from .conftest import SITES, build, child_processes, read_tree

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
TAGS = ("rates", "fx", "vol", "credit")


def extra_post(number: int, words: str = "") -> str:
    tier = "plus" if number % 3 else "free"
    tags = ", ".join(TAGS[: 1 + number % len(TAGS)])
    series = 'series: "The Weekly"\n' if number % 4 == 0 else ""
    body = " ".join(f"word{number}x{i}" for i in range(60))
    return (f'---\ntitle: "Note {number}"\ndate: 2026-09-{number:02d}T07:00:00-04:00\ntier: {tier}\n'
            f"teaser: 20\ntags: [{tags}]\n{series}authors: [ann]\n---\n\n{body} {words}\n\n## Part two\n\n"
            f"More about *rates* and [a link](https://example.com/{number}).\n")


def make_site(tmp_path: Path, search: bool) -> Path:
    """The canary fixture site plus two dozen more posts, enough for lists to have several pages."""
    root = tmp_path / "site"
    shutil.copytree(SITES / "tiers", root)
    for number in range(1, 25):
        (root / "content/posts/2026" / f"note-{number:02d}.md").write_text(extra_post(number))
    text = (root / "site.toml").read_text().replace("teaser_words = 150", "teaser_words = 150\nposts_per_page = 4")
    (root / "site.toml").write_text(text + ("" if search else "\n[search]\nenabled = false\n"))
    return root


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """The fixture site without search (Pagefind is slow to start; one test keeps it)."""
    return make_site(tmp_path, search=False)


@pytest.fixture
def in_parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Send even this small site's bodies and pages to worker processes."""
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BODIES", 1)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_PAGES", 1)
    monkeypatch.setattr(parallel, "BODY_CHUNK", 3)
    monkeypatch.setattr(parallel, "PAGE_CHUNK", 5)


def tiers(site: Path) -> dict[str, bytes]:
    return {f"{tier}/{path}": data for tier in ("public", "members")
            for path, data in read_tree(site / "output" / tier).items()}


def plain_build(site: Path, tmp_path: Path) -> dict[str, bytes]:
    """The reference: a copy of the site as it is now, built in one process with no cache."""
    copy = tmp_path / f"plain-{len(os.listdir(tmp_path))}"
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns("output", CACHE_DIR))
    build(copy, now=NOW, jobs=1, cache=False)
    assert not (copy / CACHE_DIR).exists()
    return tiers(copy)


def fast_build(site: Path):  # type: ignore[no-untyped-def]
    return build(site, now=NOW, jobs=2)


def test_parallel_cached_builds_match_a_plain_build_byte_for_byte(tmp_path: Path, in_parallel: None) -> None:
    site = make_site(tmp_path, search=True)
    expected = plain_build(site, tmp_path)
    cold = fast_build(site)
    assert cold.rendered > 0 and tiers(site) == expected
    warm = fast_build(site)
    assert (warm.rendered, warm.written) == (0, 0)
    assert tiers(site) == expected


def test_unchanged_build_touches_no_file(site: Path) -> None:
    fast_build(site)
    fast_build(site)
    before = {path: os.stat(site / "output" / path).st_mtime_ns for path in tiers(site)}
    result = fast_build(site)
    assert result.written == 0 and result.rendered == 0
    assert {path: os.stat(site / "output" / path).st_mtime_ns for path in tiers(site)} == before
    assert result.posts == 29 and result.files["public"] > 50


def _append(site: Path, name: str, text: str) -> None:
    path = site / name
    path.write_text(path.read_text() + text)


def _replace(site: Path, name: str, old: str, new: str) -> None:
    path = site / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


EDITS: dict[str, Callable[[Path], None]] = {
    "body": lambda s: _append(s, "content/posts/2026/note-07.md", "\nA new closing paragraph.\n"),
    "title": lambda s: _replace(s, "content/posts/2026/note-07.md", "Note 7", "A better title"),
    "date": lambda s: _replace(s, "content/posts/2026/note-07.md", "2026-09-07", "2026-10-20"),
    "tier": lambda s: _replace(s, "content/posts/2026/note-06.md", "tier: free", "tier: plus"),
    "plus body after the cut": lambda s: _replace(s, "content/posts/2026/plus-words.md", "zqcanarywpara",
                                                  "zqcanarywpara zqcanarywedit"),
    "new post": lambda s: (s / "content/posts/2026/note-30.md").write_text(extra_post(26, "fresh")),
    "deleted post": lambda s: (s / "content/posts/2026/note-03.md").unlink(),
    "draft": lambda s: _replace(s, "content/posts/2026/note-05.md", "authors: [ann]", "authors: [ann]\ndraft: true"),
    "page": lambda s: _append(s, "content/pages/about.md", "\nWe moved.\n"),
    "asset": lambda s: (s / "content/images/public-chart.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>'),
    "config": lambda s: _replace(s, "site.toml", 'title = "Canary Letter"', 'title = "Canary Weekly"'),
    "template": lambda s: (s / "templates/partials").mkdir(parents=True, exist_ok=True) or (
        s / "templates/partials/plus_badge.html").write_text('<span class="plus-badge">Members</span>'),
    "template reading site.posts": lambda s: (s / "templates/partials").mkdir(parents=True, exist_ok=True) or (
        s / "templates/partials/plus_badge.html").write_text(
            "<span>{{ site.posts[0].title }} {{ site.posts | length }}</span>"),
    "post edit seen by that template": lambda s: _replace(s, "content/posts/2026/free-note.md", "A free note",
                                                         "A retitled free note"),
    "opening words": lambda s: _replace(s, "content/posts/2026/note-08.md", "word8x0 ", "Opening eight "),
    # what a post's page shows of other posts' front matter: its series neighbours, a tag's first spelling
    "series part retitled": lambda s: _replace(s, "content/posts/2026/note-12.md", "Note 12", "Note twelve"),
    "earlier series part": lambda s: (s / "content/posts/2026/note-00.md").write_text(
        extra_post(24, "first").replace("Note 24", "Note zero").replace("2026-09-24", "2026-08-31")),
    "tag's first spelling": lambda s: (s / "content/posts/2026/a-first.md").write_text(
        '---\ntitle: "First"\ndate: 2026-08-01T07:00:00-04:00\ntags: [Rates]\nauthors: [ann]\n---\n\nFirst.\n'),
    "tag's first spelling gone": lambda s: _replace(s, "content/posts/2026/a-first.md", "[Rates]", "[macro]"),
}


def test_builds_after_each_kind_of_edit_match_plain_builds(site: Path, tmp_path: Path) -> None:
    fast_build(site)
    fast_build(site)  # the first tree is now the spare: from here on builds stage into a tree two builds old
    for name, edit in EDITS.items():
        edit(site)
        fast_build(site)
        assert tiers(site) == plain_build(site, tmp_path), f"after the {name} edit"


def test_a_site_made_from_the_same_inputs_has_the_stored_key_and_reads(site: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The shortcut of _changed_reads: when PageKeys.inputs_key is as stored, the site key and every site and
    term read, made afresh, are as stored too, after every kind of edit."""
    checked: list[str] = []  # the edits after which the shortcut was taken
    changed_reads = tearsheet.parallel._changed_reads

    def checking(keys: PageKeys, pages: object) -> object:
        if keys.inputs_key() and keys.inputs_key() == pages.old_inputs:  # type: ignore[attr-defined]
            fresh = PageKeys(keys.build_key, keys.site, keys.site, keys.sources)
            assert fresh.site_key() == pages.old_site  # type: ignore[attr-defined]
            for read, digest in pages.old_reads.items():  # type: ignore[attr-defined]
                if read[0] in ("site", "term"):
                    assert fresh.read_digest(read) == digest, (editing[-1], read)
            checked.append(editing[-1])
        return changed_reads(keys, pages)

    monkeypatch.setattr(tearsheet.parallel, "_changed_reads", checking)
    editing = ["nothing"]
    fast_build(site)
    fast_build(site)
    for name, edit in EDITS.items():
        editing.append(name)
        edit(site)
        fast_build(site)
    assert {"body", "plus body after the cut", "opening words"} <= set(checked)  # the shortcut was taken
    assert "title" not in checked and "new post" not in checked  # front matter changed: keyed afresh


def test_a_template_printing_whole_records_gives_the_same_bytes_cached(site: Path, tmp_path: Path) -> None:
    """Records a page reads through its keys' mirror print as the records themselves (a helper's fuzzing found
    `_View(` and `_Term(` in cached builds where a plain build printed `PostView(` and `Term(`)."""
    (site / "templates/partials").mkdir(parents=True, exist_ok=True)
    (site / "templates/partials/footer_extra.html").write_text(
        "<p>{{ site.tags[0] }}</p><p>{% for y in site.years %}{{ y }}{% endfor %}</p>")
    fast_build(site)
    assert tiers(site) == plain_build(site, tmp_path)
    EDITS["opening words"](site)  # what the printed records show of a post changes
    fast_build(site)
    assert tiers(site) == plain_build(site, tmp_path)


def test_editing_one_body_renders_a_few_pages_only(site: Path) -> None:
    first = fast_build(site)
    EDITS["body"](site)
    again = fast_build(site)
    assert 0 < again.rendered < first.rendered / 2
    assert 0 < again.written < first.written / 10


def test_a_body_edit_that_leaves_every_card_as_it_was_keys_no_page_afresh(site: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """With the site as the last build keyed it, each page's context key is taken as stored, and only the
    pages that read what changed (here, the edited post's own two) are rendered again."""
    fast_build(site)
    fast_build(site)
    keyed: list[str] = []
    context_key = PageKeys.context_key
    monkeypatch.setattr(PageKeys, "context_key", lambda self, spec: keyed.append(spec.path) or context_key(self, spec))
    EDITS["body"](site)  # a closing paragraph: the summary and reading time stay
    assert fast_build(site).rendered == 2
    assert keyed == []
    assert tiers(site) == plain_build(site, tmp_path)
    EDITS["opening words"](site)  # the post's summary changes, and with it its card on every list
    rendered: list[str] = []
    render_page = tearsheet.parallel.render_page
    monkeypatch.setattr(tearsheet.parallel, "render_page",
                        lambda env, spec, *args: rendered.append(spec.path) or render_page(env, spec, *args))
    result = fast_build(site)
    assert keyed == []  # the card is a read of the pages that show it, not part of every context
    assert result.rendered == len(rendered) > 10  # (in this process: too few pages to fork for)
    assert {"page/6/index.html", "tags/rates/page/6/index.html", "2026/09/note-08/index.html"} <= set(rendered)
    assert not {"archive/index.html", "archive/2026/index.html"} & set(rendered)  # they list posts by title
    assert tiers(site) == plain_build(site, tmp_path)


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _garble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 2, len(data), max(1, len(data) // 50)):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


def _cache_files(site: Path) -> list[Path]:
    return [p for p in (site / CACHE_DIR).rglob("*") if p.is_file() and "/spare/" not in str(p) and p.name != "lock"]


DAMAGE: dict[str, Callable[[Path], None]] = {
    "truncated cache files": lambda s: [_truncate(p) for p in _cache_files(s)],
    "garbled cache files": lambda s: [_garble(p) for p in _cache_files(s)],
    "cache files swapped": lambda s: [
        p.write_bytes(next(iter(sorted((s / CACHE_DIR / "bodies").glob("0*")))).read_bytes())
        for p in _cache_files(s)],
    "live page edited": lambda s: (s / "output/public/index.html").write_text("stale"),
    "live page deleted": lambda s: (s / "output/members/tags/rates/index.html").unlink(),
    "stray file in live tree": lambda s: (s / "output/public/stale.html").write_text("old"),
    "spare page edited": lambda s: [p.write_text("stale") for p in (s / CACHE_DIR).rglob("spare/public/index.html")],
    "spare deleted": lambda s: [shutil.rmtree(p) for p in (s / CACHE_DIR).rglob("spare")],
}


def test_a_damaged_cache_or_output_is_never_trusted(site: Path, tmp_path: Path) -> None:
    expected = plain_build(site, tmp_path)
    fast_build(site)
    fast_build(site)
    for name, damage in DAMAGE.items():
        damage(site)
        fast_build(site)
        assert tiers(site) == expected, f"after {name}"
    EDITS["body"](site)
    fast_build(site)
    assert tiers(site) == plain_build(site, tmp_path)


def _content_files_opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The content files read_content opens from now on (it reads each one whole, with open())."""
    import builtins

    from tearsheet import content

    opened: list[str] = []

    def counting_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(file).endswith(".md"):
            opened.append(os.path.basename(file))
        return builtins.open(file, *args, **kwargs)

    monkeypatch.setattr(content, "open", counting_open, raising=False)
    return opened


def _age_sources(site: Path) -> None:
    """Date every content file an hour back: a file modified just before a build is not remembered."""
    an_hour_ago = int((dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).timestamp() * 1e9)
    for path in (site / "content").rglob("*.md"):
        os.utime(path, ns=(an_hour_ago, an_hour_ago))


def test_sources_unchanged_since_the_last_build_are_not_read_again(site: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _age_sources(site)
    fast_build(site)
    opened = _content_files_opened(monkeypatch)
    EDITS["body"](site)
    fast_build(site)
    assert opened == ["note-07.md"]
    assert tiers(site) == plain_build(site, tmp_path)


def test_a_source_edited_in_place_with_its_size_and_time_kept_is_read_again(site: Path, tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _age_sources(site)
    fast_build(site)
    path = site / "content/posts/2026/note-09.md"
    before = path.stat()
    text = path.read_text()
    assert "word9x1 " in text
    path.write_text(text.replace("word9x1 ", "secret9 ", 1))  # the same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the same modified time: the changed time moves
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    opened = _content_files_opened(monkeypatch)
    fast_build(site)
    assert opened == ["note-09.md"]
    assert b"secret9" in (site / "output/members/2026/09/note-09/index.html").read_bytes()
    assert tiers(site) == plain_build(site, tmp_path)


def test_a_source_modified_just_before_a_build_is_read_again_by_the_next(site: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """On file systems whose times are coarse (FAT: 2 s), a second save within a tick looks like none."""
    _age_sources(site)
    fast_build(site)
    EDITS["body"](site)
    fast_build(site)
    opened = _content_files_opened(monkeypatch)
    fast_build(site)
    assert opened == ["note-07.md"]


def test_a_body_not_read_is_read_when_it_has_to_be_rendered(site: Path, tmp_path: Path) -> None:
    _age_sources(site)
    fast_build(site)
    shutil.rmtree(site / CACHE_DIR / "bodies")  # the front matter is known; the bodies must be rendered again
    EDITS["template"](site)  # and every page with them
    assert fast_build(site).rendered > 50
    assert tiers(site) == plain_build(site, tmp_path)


def test_a_body_changed_after_its_file_was_looked_at_is_an_error(site: Path) -> None:
    _age_sources(site)
    fast_build(site)
    sources = cache_module.BuildCache(str(site)).sources(read_config(str(site)))
    file = site / "content/posts/2026/note-11.md"
    recalled = sources.recall(str(file), "content/posts/2026/note-11.md", "post")
    assert recalled is not None and recalled.body == "" and recalled.body_at is not None
    assert "word11x0" in cache_module.with_body(recalled).body
    file.write_text(file.read_text().replace("word11x0", "word11y0"))  # saved while the build runs
    with pytest.raises(SiteError, match="changed while the build was reading it"):
        cache_module.with_body(recalled)


def test_a_cache_written_by_other_code_is_ignored(site: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    fast_build(site)
    _replace(site, "content/posts/2026/note-07.md", "Note 7", "Retitled")
    monkeypatch.setattr(cache_module, "code_version", lambda: "another-version")
    result = fast_build(site)
    assert result.rendered > 50  # nothing cached was taken for this code's
    assert tiers(site) == plain_build(site, tmp_path)


def test_the_cache_is_keyed_by_the_libraries_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    found = cache_module._installed_versions((*cache_module.LIBRARIES, "no-such-library"))
    assert found == {**{name: metadata.version(name) for name in cache_module.LIBRARIES}, "no-such-library": "none"}
    (tmp_path / "Jinja2-9.9.dist-info").mkdir()  # an upgrade installed ahead of the one in use
    monkeypatch.syspath_prepend(str(tmp_path))
    assert cache_module._installed_versions(("jinja2",)) == {"jinja2": "9.9"}


def test_no_cache_keeps_no_cache(site: Path) -> None:
    build(site, now=NOW, cache=False)
    assert not (site / CACHE_DIR).exists()
    assert [p for p in os.listdir(site / "output") if p.startswith(".")] == []


def test_failed_warm_build_leaves_the_output_as_it_was(site: Path, tmp_path: Path) -> None:
    fast_build(site)
    fast_build(site)
    EDITS["body"](site)
    before = tiers(site)
    (site / "templates").mkdir()
    (site / "templates/post.html").write_text("{% extends 'base.html' %}{% block content %}{{ post.nope.deeper }}"
                                              "{% endblock %}")
    assert main(["build", str(site), "--now", NOW.isoformat()]) == 1
    assert tiers(site) == before
    (site / "templates/post.html").unlink()
    fast_build(site)
    assert tiers(site) == plain_build(site, tmp_path)


def test_clean_removes_the_cache_and_the_output(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fast_build(site)
    assert main(["clean", str(site)]) == 0
    assert not (site / CACHE_DIR).exists() and not (site / "output").exists()
    assert "Removed" in capsys.readouterr().out
    (site / "output").mkdir()
    (site / "output/notes.txt").write_text("mine")
    assert main(["clean", str(site)]) == 0
    assert (site / "output/notes.txt").read_text() == "mine"  # only what builds make is removed


def test_count_words_matches_the_cut(tmp_path: Path) -> None:
    """The quick word count agrees with the teaser cut's own counter on tricky text."""
    from tearsheet.markdown import make_markdown, parse_body
    from tearsheet.tiers import _WordCounter, count_words

    md = make_markdown()
    samples = ["foo*bar* baz", "a  \nb\nc", "x![i](y)z and `a b`c d", "```\ncode here\n```\n\nafter",
               "word[^1]\n\n[^1]: note words", "<b>x</b> y", "a\u2003b\u00a0c", "- one\n- two three",
               textwrap.dedent("""\
               | a b | c |
               |---|---|
               | d e | f |
               """)]
    for text in samples:
        tokens, _ = parse_body(md, text)
        counter = _WordCounter(limit=None)
        for token in tokens:
            if token.type == "footnote_block_open":
                break
            counter.block()
            for child in token.children or []:
                counter.child(child)
            if token.type in ("fence", "code_block"):
                counter.text(token.content)
        assert count_words(tokens) == counter.count, text


def test_editing_one_body_rewrites_only_the_feeds_that_show_it(site: Path) -> None:
    fast_build(site)
    members = site / "output" / "members"
    weekly = next(members.glob("series/*/rss.xml"))  # note-07 is in no series
    shown = members / "tags" / "credit" / "rss.xml"  # note-07 is tagged credit, like few others
    before = {path: (path.stat().st_ino, path.read_bytes()) for path in (weekly, shown)}
    EDITS["body"](site)
    fast_build(site)
    assert (weekly.stat().st_ino, weekly.read_bytes()) == before[weekly]  # kept, not made again
    assert b"A new closing paragraph." in shown.read_bytes() and shown.read_bytes() != before[shown][1]


def test_a_card_that_shows_the_body_is_made_again_on_every_list_after_an_edit(site: Path, tmp_path: Path) -> None:
    # A card is rendered once per post and tier and reused on every list: what it read of the post
    # (here its body) must count for each list page that shows it, or those pages would go stale.
    (site / "templates/partials").mkdir(parents=True, exist_ok=True)
    (site / "templates/partials/post_card.html").write_text(
        '<article class="card"><a href="{{ post.url }}">{{ post.title }}</a> {{ post.text[:60] }}</article>\n')
    _replace(site, "content/posts/2026/note-07.md", "authors: [ann]", 'authors: [ann]\ndescription: "Fixed words."')
    fast_build(site)  # with a description, a body edit changes neither the summary nor the reading time
    _replace(site, "content/posts/2026/note-07.md", "word7x0 ", "zqfirstwordschanged ")
    fast_build(site)
    assert tiers(site) == plain_build(site, tmp_path)
    pages = [path for path, data in tiers(site).items() if b"zqfirstwordschanged" in data and "index.html" in path]
    assert len([p for p in pages if "/tags/" in p]) >= 2  # the card is on several lists, each made again


def test_staged_files_are_written_in_place_only_when_the_live_tree_does_not_share_them(site: Path) -> None:
    """Files of the staged tree linked to the live one are replaced, never written into; the rest may be."""
    fast_build(site)
    fast_build(site)
    EDITS["body"](site)
    fast_build(site)  # the spare now shares most files with the live tree (hard links)
    live = site / "output/public"
    assert any(os.stat(path).st_nlink > 1 for path in live.rglob("*.html"))
    before = tiers(site)
    (site / "templates/partials").mkdir(parents=True)
    for attempt in range(2):  # the second time, the staged tree holds the first attempt's own files: written in place
        (site / "templates/partials/footer_extra.html").write_text(  # every page changes, and leaks
            f"<p>Attempt {attempt}.</p><p>Paragraph with zqcanarywpara and bold zqcanarywbold and struck "
            "zqcanarywstrike.</p>")
        assert main(["build", str(site), "--now", NOW.isoformat(), "--quiet"]) == 1  # the audit stops it
        assert tiers(site) == before


def test_a_cache_kept_in_memory_from_build_to_build_makes_what_plain_builds_make(site: Path, tmp_path: Path) -> None:
    """The preview server keeps one BuildCache across its rebuilds (BuildCache.next_build)."""
    from tearsheet.build import BuildOptions, build_site
    from tearsheet.cache import BuildCache

    kept = BuildCache(str(site))
    options = BuildOptions(site_dir=str(site), now=NOW, jobs=2)
    build_site(options, kept)
    for name, edit in [*EDITS.items(), ("nothing", lambda s: None)]:
        kept.next_build()
        edit(site)
        build_site(options, kept)
        assert tiers(site) == plain_build(site, tmp_path), f"after the {name} edit"
    kept.next_build()
    everything = build_site(options, kept)
    assert everything.written == 0
    kept.next_build()
    EDITS["body"](site)
    assert build_site(options, kept).rendered == 2  # the edited post's two pages
    EDITS["body"](site)
    assert 0 < fast_build(site).rendered <= 2  # what it saved is whole: a build with a cache of its own agrees


def test_trees_listed_ahead_by_a_child_are_what_a_check_would_list(site: Path, tmp_path: Path) -> None:
    fast_build(site)
    public, members = str(site / "output" / "public"), str(site / "output" / "members")
    before = child_processes()
    scans = TreeScans([public, members, str(tmp_path / "nowhere")])
    assert scans.take(public) == _scan(public) and scans.take(members) == _scan(members)
    assert scans.take(public) is None  # each listing is taken once: a later check lists the tree afresh
    assert scans.take(str(tmp_path / "nowhere")) is None
    scans.close()
    assert child_processes() == before  # the child is gone, and reaped


def test_a_failed_warm_build_leaves_no_process_behind(site: Path) -> None:
    fast_build(site)
    fast_build(site)
    before = child_processes()
    _replace(site, "content/posts/2026/note-07.md", "title:", "title: [unclosed")
    with pytest.raises(SiteError):
        fast_build(site)
    assert child_processes() == before
