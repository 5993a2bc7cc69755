"""The preview's fast render: an edited post's own pages swapped in before the full rebuild, never wrong after it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from tearsheet.build import BuildOptions
from tearsheet.output_manifest import PATCHES_NAME
from tearsheet.serve import PREVIEW_DIR, PreviewBuilder

from .conftest import build, read_tree
from .test_serve import get, serve_in_background, wait_for

NOW = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
FREE = "content/posts/2026/free-note.md"
PLUS = "content/posts/2026/plus-marker.md"
FREE_PAGE = "2026/10/free-note/index.html"
PLUS_PAGE = "2026/10/plus-marker/index.html"


@pytest.fixture
def preview(copy_site) -> tuple[Path, PreviewBuilder]:
    site = copy_site("tiers")
    builder = PreviewBuilder(BuildOptions(site_dir=str(site), out_dir=str(site / PREVIEW_DIR), members_url="",
                                          now=NOW))
    builder.build()
    return site, builder


def append(site: Path, rel: str, text: str) -> str:
    path = site / rel
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")
    return str(path)


def live(site: Path, tier: str, page: str) -> bytes:
    return (site / PREVIEW_DIR / tier / page).read_bytes()


def fresh_build(site: Path, tmp_path: Path) -> dict[str, bytes]:
    out = tmp_path / "fresh"
    build(site, out_dir=str(out), members_url="", now=NOW, cache=False)
    return read_tree(out)


def test_a_body_edit_is_in_its_pages_lists_and_feeds_at_once(preview) -> None:
    site, builder = preview
    path = site / FREE
    head, _, body = path.read_text(encoding="utf-8").partition("\n---\n")
    path.write_text(f"{head}\n---\nZqfastlead opens the summary.\n{body}\nzqfastedit paragraph.\n", encoding="utf-8")
    done = builder.fast_render({str(path)})
    assert done is not None and done.posts == (FREE,)
    for tier in ("public", "members"):
        assert b"zqfastedit" in live(site, tier, FREE_PAGE)
        for listing in ("index.html", "tags/rates/index.html", "authors/ann/index.html", "archive/2026/10/index.html"):
            assert b"Zqfastlead" in live(site, tier, listing), (tier, listing)  # its card's summary
        assert b"zqfastedit" in live(site, tier, "feeds/rss.xml")  # a free post in full in both tiers' feeds
    assert not {name for name in done.changed if "plus-" in name}  # no other post's own page


LONG_PARAGRAPH = "\n" + "Words that fill the summary to its end. " * 12 + "\n"


def test_a_list_that_shows_whole_bodies_is_updated_at_once(copy_site) -> None:
    """A theme whose home page shows each post in full: an edit that leaves the card as it was changes it too."""
    site = copy_site("tiers")
    (site / "templates").mkdir()
    (site / "templates/index.html").write_text(
        "{% extends 'base.html' %}{% block content %}{% for post in pager.posts %}<article>{{ post.html }}</article>"
        "{% endfor %}{% endblock %}", encoding="utf-8")
    append(site, FREE, LONG_PARAGRAPH)
    builder = PreviewBuilder(BuildOptions(site_dir=str(site), out_dir=str(site / PREVIEW_DIR), members_url="",
                                          now=NOW))
    builder.build()
    done = builder.fast_render({append(site, FREE, "\nzqwholebody paragraph.\n")})
    assert done is not None and "public/index.html" in done.changed
    assert b"zqwholebody" in live(site, "public", "index.html")
    assert not {name for name in done.changed if "/tags/" in name and name.endswith(".html")}  # cards as they were
    assert builder.build().changed == ()


def test_an_edit_that_changes_no_card_renders_no_list(preview) -> None:
    """The summary (the first 40 words here) and the reading time as they were: lists show the post as before."""
    site, builder = preview
    append(site, FREE, LONG_PARAGRAPH)
    builder.build()
    done = builder.fast_render({append(site, FREE, "\nzqfastedit paragraph.\n")})
    assert done is not None
    assert {name for name in done.changed if name.endswith(".html")} == {f"public/{FREE_PAGE}", f"members/{FREE_PAGE}"}
    assert builder.build().changed == ()


def test_the_full_rebuild_after_a_fast_render_makes_what_a_fresh_build_makes(preview, tmp_path: Path) -> None:
    site, builder = preview
    builder.fast_render({append(site, FREE, "\nzqfastedit paragraph.\n")})
    builder.build()
    assert read_tree(site / PREVIEW_DIR) == fresh_build(site, tmp_path)
    assert not list((site / ".tearsheet-cache").glob(f"output-*/{PATCHES_NAME}"))


def test_an_edit_undone_before_the_rebuild_leaves_no_fast_rendered_page(preview, tmp_path: Path) -> None:
    """The output a fast render patched is never taken as the output the (unchanged) inputs made."""
    site, builder = preview
    original = (site / FREE).read_text(encoding="utf-8")
    builder.fast_render({append(site, FREE, "\nzqfastedit paragraph.\n")})
    (site / FREE).write_text(original, encoding="utf-8")
    builder.build()
    assert b"zqfastedit" not in live(site, "public", FREE_PAGE)
    assert read_tree(site / PREVIEW_DIR) == fresh_build(site, tmp_path)


def test_an_editors_temporary_file_in_the_same_batch_is_passed_over(preview) -> None:
    """Editors that save atomically write a temporary file and rename it over the post."""
    site, builder = preview
    gone = str(site / "content/posts/2026/.free-note.md.tmp-1234")
    done = builder.fast_render({append(site, FREE, "\nzqfastedit paragraph.\n"), gone, str(site / "content/posts/2026")})
    assert done is not None and done.posts == (FREE,)


def test_a_plus_posts_public_page_shows_the_teaser_only(preview) -> None:
    site, builder = preview
    done = builder.fast_render({append(site, PLUS, "\nzqcanaryfastmember words after the cut.\n")})
    assert done is not None and f"members/{PLUS_PAGE}" in done.changed
    assert not [name for name in done.changed if name.startswith("public/")]  # the same teaser as before
    assert b"zqcanaryfastmember" in live(site, "members", PLUS_PAGE)
    assert b"zqcanaryfastmember" in live(site, "members", "feeds/rss.xml")
    assert not any(b"zqcanaryfastmember" in data or b"zqcanarympara" in data
                   for data in read_tree(site / PREVIEW_DIR / "public").values())


@pytest.mark.parametrize("edit", [
    pytest.param(lambda text: text.replace('title: "A free note"', 'title: "A renamed note"'), id="title"),
    pytest.param(lambda text: text.replace("tags: [rates]", "tags: [rates, fx]"), id="tags"),
    pytest.param(lambda text: text.replace("tags: [rates]", "tier: plus\ntags: [rates]"), id="tier"),
    pytest.param(lambda text: text.replace("tags: [rates]", "tags: [rates"), id="broken front matter"),
    pytest.param(lambda text: text.replace("---", "", 1), id="no front matter"),
])
def test_anything_but_a_body_edit_waits_for_the_full_rebuild(preview, edit) -> None:
    site, builder = preview
    path = site / FREE
    before = read_tree(site / PREVIEW_DIR)
    path.write_text(edit(path.read_text(encoding="utf-8")) + "\nzqfastedit\n", encoding="utf-8")
    assert builder.fast_render({str(path)}) is None
    assert read_tree(site / PREVIEW_DIR) == before


def test_new_files_pages_and_unpublished_posts_wait_for_the_full_rebuild(preview) -> None:
    site, builder = preview
    new = site / "content/posts/2026/new-note.md"
    new.write_text('---\ntitle: "New"\ndate: 2026-10-11\n---\n\nzqnew body.\n', encoding="utf-8")
    assert builder.fast_render({str(new)}) is None
    draft = site / "content/posts/2026/draft-note.md"
    draft.write_text('---\ntitle: "Draft"\ndate: 2026-10-12\ndraft: true\n---\n\nzqdraft.\n', encoding="utf-8")
    builder.build()
    assert builder.fast_render({append(site, "content/posts/2026/draft-note.md", "\nmore.\n")}) is None
    # one post it cannot render fast: none of the batch is
    newer = site / "content/posts/2026/newer-note.md"
    newer.write_text('---\ntitle: "Newer"\ndate: 2026-10-13\n---\n\nzqnewer body.\n', encoding="utf-8")
    assert builder.fast_render({append(site, FREE, "\nzqfastedit.\n"), str(newer)}) is None


def test_no_fast_render_after_a_failed_build(preview) -> None:
    site, builder = preview
    (site / "site.toml").write_text("title = [\n", encoding="utf-8")
    with pytest.raises(Exception):  # noqa: B017 - whatever the build raises, the plan is gone
        builder.build()
    assert builder.fast_render({append(site, FREE, "\nzqfastedit.\n")}) is None


def test_a_damaged_patch_list_is_not_trusted(preview, tmp_path: Path) -> None:
    site, builder = preview
    builder.fast_render({append(site, FREE, "\nzqfastedit paragraph.\n")})
    (patches,) = (site / ".tearsheet-cache").glob(f"output-*/{PATCHES_NAME}")
    patches.write_text("{not json", encoding="utf-8")
    result = builder.build()
    assert result.written == sum(result.files.values())  # every file made again rather than trusting the tree
    assert read_tree(site / PREVIEW_DIR) == fresh_build(site, tmp_path)


@pytest.fixture
def served_site(copy_site) -> Iterator[tuple[Path, int, list[str]]]:
    yield from serve_in_background(copy_site("tiers"))


def test_serve_shows_a_body_edit_before_the_full_rebuild(served_site) -> None:
    site, port, logged = served_site
    append(site, FREE, "\nzqservedfast paragraph.\n")
    wait_for(lambda: any(m.startswith("Rebuilt") for m in logged), "the rebuild")
    updated = [n for n, m in enumerate(logged) if m.startswith(f"Updated {FREE} in ")]
    rebuilt = [n for n, m in enumerate(logged) if m.startswith("Rebuilt")]
    assert updated and updated[0] < rebuilt[0], logged
    assert "(checking the whole site)" in logged[updated[0]]
    assert logged[rebuilt[0]].endswith(", nothing more to update"), logged  # the update had it all
    assert b"zqservedfast" in get(port, "/2026/10/free-note/")[2]


def test_a_content_pages_body_edit_is_rendered_fast_in_both_tiers(preview) -> None:
    site, builder = preview
    done = builder.fast_render({append(site, "content/pages/about.md", "\nzqpage edit.\n")})
    assert done is not None and done.changed == ("public/about/index.html", "members/about/index.html")
    fast = {tier: live(site, tier, "about/index.html") for tier in ("public", "members")}
    assert all(b"zqpage edit" in page for page in fast.values())
    builder.build()
    assert {tier: live(site, tier, "about/index.html") for tier in ("public", "members")} == fast


POSTS = {
    FREE: FREE_PAGE,
    PLUS: PLUS_PAGE,
    "content/posts/2026/plus-words.md": "2026/10/plus-words/index.html",
    "content/posts/2026/plus-zero.md": "2026/10/plus-zero/index.html",
    "content/posts/2026/plus-nodesc.md": "2026/10/plus-nodesc/index.html",
}
EDITS = {
    "append": lambda body: body + "\nzqfast appended paragraph with a [link](https://example.com/new).\n",
    "first words": lambda body: "zqfast opening words change the summary. " + body,
    "new heading": lambda body: body + "\n## zqfast new heading\n\nUnder it.\n",
    "shorter": lambda body: body[: len(body) // 2] + "\n",
}


@pytest.mark.parametrize("edit", EDITS)
@pytest.mark.parametrize("post", POSTS)
def test_a_fast_rendered_page_is_the_page_the_full_rebuild_makes(preview, post: str, edit: str) -> None:
    """What the author sees at once is what the build will make: the full rebuild leaves the site as it is."""
    site, builder = preview
    path = site / post
    text = path.read_text(encoding="utf-8")
    head, _, body = text.partition("\n---\n")
    path.write_text(f"{head}\n---\n{EDITS[edit](body)}", encoding="utf-8")
    done = builder.fast_render({str(path)})
    assert done is not None and done.posts == (post,)
    fast = {tier: live(site, tier, POSTS[post]) for tier in ("public", "members")}
    result = builder.build()
    assert {tier: live(site, tier, POSTS[post]) for tier in ("public", "members")} == fast
    assert result.changed == ()  # its lists, its neighbours, the feeds: the fast render made every file the edit changes


def test_a_template_failing_on_the_new_text_leaves_it_to_the_full_rebuild(copy_site) -> None:
    site = copy_site("tiers")
    (site / "templates").mkdir()
    (site / "templates/post.html").write_text(
        "{% extends 'base.html' %}{% block content %}{% if 'zqboom' in post.html %}{{ post.nope.deeper }}"
        "{% endif %}{{ post.html }}{% endblock %}")
    builder = PreviewBuilder(BuildOptions(site_dir=str(site), out_dir=str(site / PREVIEW_DIR), members_url="",
                                          now=NOW))
    builder.build()
    assert builder.fast_render({append(site, FREE, "\nzqboom\n")}) is None


def test_a_cut_moved_earlier_with_a_page_in_the_same_save_leaves_no_list_showing_the_old_teaser(preview) -> None:
    site, builder = preview
    path = site / "content/posts/2026/plus-nodesc.md"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "Public opening words of a plus post", "Public opening words\n\n<!--more-->\n\nof a plus post"),
        encoding="utf-8")
    done = builder.fast_render({str(path), append(site, "content/pages/about.md", "\nzqpage edit.\n")})
    assert done is not None and "public/index.html" in done.changed
    public = read_tree(site / PREVIEW_DIR / "public")
    assert not [name for name, data in public.items() if b"of a plus post that has no description" in data]
    assert builder.build().changed == ()


def test_an_edit_that_reaches_too_many_pages_waits_for_the_full_rebuild(preview, monkeypatch) -> None:
    """Nothing is shown half made: a list left with the old summary could show words now after the cut."""
    site, builder = preview
    monkeypatch.setattr("tearsheet.fast_render.MAX_FAST_PAGES", 2)
    path = site / FREE
    head, _, body = path.read_text(encoding="utf-8").partition("\n---\n")
    path.write_text(f"{head}\n---\nZqfastlead opens the summary.\n{body}", encoding="utf-8")
    assert builder.fast_render({str(path)}) is None


def test_a_new_link_to_a_file_under_content_waits_for_the_full_rebuild(preview) -> None:
    """Which files under content/ the public site has follows what public text links to."""
    site, builder = preview
    assert builder.fast_render({append(site, FREE, "\n![chart](/images/zqcanary-chart.svg)\n")}) is None
    assert "public/images/zqcanary-chart.svg" in builder.build().changed


def test_a_tag_spelt_another_way_keeps_the_sites_first_spelling(preview) -> None:
    site, builder = preview
    other = site / "content/posts/2026/zz-other.md"
    other.write_text('---\ntitle: "Other"\ndate: 2026-10-11\ntags: [Rates]\nauthors: [ann]\n---\n\nOther body.\n',
                     encoding="utf-8")
    builder.build()
    done = builder.fast_render({append(site, "content/posts/2026/zz-other.md", "\nzqother edit.\n")})
    assert done is not None
    assert builder.build().changed == ()


@pytest.mark.parametrize("gone", ["templates/post.html", "static/extra.txt", "content/images/public-chart.svg"])
def test_a_file_the_build_reads_deleted_in_the_same_save_waits_for_the_full_rebuild(copy_site, gone: str) -> None:
    site = copy_site("tiers")
    (site / "templates").mkdir()
    (site / "templates/post.html").write_text("{% extends 'base.html' %}{% block content %}{{ post.html }}"
                                              "{% endblock %}", encoding="utf-8")
    (site / "static").mkdir()
    (site / "static/extra.txt").write_text("extra", encoding="utf-8")
    builder = PreviewBuilder(BuildOptions(site_dir=str(site), out_dir=str(site / PREVIEW_DIR), members_url="",
                                          now=NOW))
    builder.build()
    edited = append(site, FREE, "\nzqfastedit.\n")
    (site / gone).unlink()
    assert builder.fast_render({edited, str(site / gone)}) is None
