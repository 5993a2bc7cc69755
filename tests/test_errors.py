"""Bad input: a clear `path:line: message`, exit code 1, every problem at once, previous output untouched."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tearsheet.cli import main

from .conftest import read_tree

GOOD_POST = "---\ntitle: Good\ndate: 2026-01-05\n---\n\nA good post.\n"

# file name, its bytes, the first line of the expected report for it
BAD_INPUTS = [
    ("unclosed.md", b"---\ntitle: x\ndate: 2026-01-01\nbody\n", "content/posts/unclosed.md:1: front matter is not closed"),
    ("nofence.md", b"title: x\n", "content/posts/nofence.md:1: no front matter: the file must start with a line"),
    ("yaml.md", b"---\ntitle: x\ndate: [2026\n---\n", "content/posts/yaml.md:4: front matter is not valid YAML"),
    ("tier.md", b"---\ntitle: x\ndate: 2026-01-01\ntier: premium\n---\n",
     'content/posts/tier.md:4: tier must be "free" or "plus", got "premium"'),
    ("negative.md", b"---\ntitle: x\ndate: 2026-01-01\nteaser: -5\n---\n",
     'content/posts/negative.md:4: teaser must be a whole number of words, 0 or more, got "-5"'),
    ("words.md", b"---\ntitle: x\ndate: 2026-01-01\nteaser: lots\n---\n",
     'content/posts/words.md:4: teaser must be a whole number of words, 0 or more, got "lots"'),
    ("date.md", b"---\ntitle: x\ndate: next tuesday\n---\n", 'content/posts/date.md:3: `date` is not a date: "next tuesday"'),
    ("untitled.md", b"---\ndate: 2026-01-01\n---\n", "content/posts/untitled.md:1: missing `title`"),
    ("escape.md", b"---\ntitle: x\ndate: 2026-01-01\nslug: ../../etc\n---\n",
     'content/posts/escape.md:4: `slug` gives the slug "../../etc", which is not lowercase letters'),
    ("latin1.md", "---\ntitle: café\n".encode("latin-1"), "content/posts/latin1.md:2: not UTF-8 text"),
    ("binary.md", b"\x89PNG\r\n\x1a\n\x00\x00", "content/posts/binary.md: not a text file"),
    ("empty.md", b"", "content/posts/empty.md: file is empty"),
    ("typo.md", b"---\ntitle: x\ndate: 2026-01-01\nteasr: 5\n---\n", 'content/posts/typo.md:4: unknown front-matter key "teasr"'),
    ("author.md", b"---\ntitle: x\ndate: 2026-01-01\nauthors: [bob]\n---\n", 'content/posts/author.md:4: unknown author "bob"'),
    # YAML lets the last of two keys win: a post that says plus and then free would publish in full
    ("twice.md", b"---\ntitle: x\ndate: 2026-01-01\ntier: plus\ntier: free\n---\n",
     "content/posts/twice.md:5: `tier` is given twice (first on line 4)"),
    ("hash.md", b"---\ntitle: Rates #1 in 2026\ndate: 2026-01-01\n---\n",
     'content/posts/hash.md:2: `title` stops before "#1 in 2026": YAML reads " #" as the start of a comment'),
    ("nbsp.md", "---\ntitle:\u00a0x\ndate: 2026-01-01\n---\n".encode(),
     "content/posts/nbsp.md:2: an unusual space (U+00A0) follows the colon"),
    ("emdash.md", "\u2014\ntitle: x\ndate: 2026-01-01\n\u2014\n".encode(),
     'content/posts/emdash.md:1: the file starts with "\u2014", not three hyphens (---)'),
    ("emclose.md", "---\ntitle: x\ndate: 2026-01-01\n\u2014\n".encode(),
     'content/posts/emclose.md:4: front matter ends with "\u2014", not three hyphens (---)'),
    ("blank.md", b"\n---\ntitle: x\ndate: 2026-01-01\n---\n",
     "content/posts/blank.md:1: front matter must start on line 1, not line 2"),
    ("hugo.md", b"+++\ntitle = 'x'\n+++\n", "content/posts/hugo.md:1: front matter between +++ lines (TOML) is not read here"),
    ("utf16.md", "---\ntitle: x\ndate: 2026-01-01\n---\n".encode("utf-16"),
     "content/posts/utf16.md: not UTF-8 text: the file is saved as UTF-16"),
    # any other Markdown extension was copied as a file: a plus post's whole text in public/
    ("rotation.markdown", b"---\ntitle: x\ndate: 2026-01-01\ntier: plus\n---\n\nMembers only.\n",
     "content/posts/rotation.markdown: Markdown file ending in .markdown rather than .md"),
    ("rotation.MD", b"---\ntitle: x\ndate: 2026-01-01\n---\n", "content/posts/rotation.MD: Markdown file ending in .MD"),
    # these two were tracebacks (OverflowError) when the site's time zone or an access rule was applied
    ("far.md", b"---\ntitle: x\ndate: 9999-12-31T23:00:00-05:00\n---\n", "content/posts/far.md:3: `date` is in the year 9999: a typo?"),
    ("forever.md", b"---\ntitle: x\ndate: 2026-01-01\ntier: plus\nfree_after: 1000000000\n---\n",
     "content/posts/forever.md:5: free_after is 1000000000 days, more than a hundred years"),
    ("ancient.md", b"---\ntitle: x\ndate: 0226-10-07\n---\n", "content/posts/ancient.md:3: `date` is in the year 226: a typo?"),
    ("card.md", b"---\ntitle: x\ndate: 2026-01-01\nimage: C:\\Users\\me\\chart.png\n---\n",
     'content/posts/card.md:4: `image` is a path on your computer: "C:\\Users\\me\\chart.png"'),
    ("half.md", b'---\ntitle: x\ndate: 2026-01-01\nimage: "http://"\n---\n',
     'content/posts/half.md:4: `image` is not a whole web address: "http://"'),
    # these were tracebacks (ValueError: Invalid IPv6 URL) in the file and link stages
    ("v6.md", b'---\ntitle: x\ndate: 2026-01-01\nimage: "https://[oops/card.png"\n---\n',
     'content/posts/v6.md:4: `image` is not a web address a browser can follow: "https://[oops/card.png"'),
]


@pytest.fixture
def built_site(write_site, tmp_path: Path) -> Path:
    site = write_site({"content/posts/good.md": GOOD_POST})
    assert main(["build", str(site), "--quiet"]) == 0
    return site


def run_build(site: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["build", str(site)])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(("name", "data", "expected"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_post_is_named_and_output_kept(built_site: Path, capsys, name: str, data: bytes, expected: str) -> None:
    before = read_tree(built_site / "output")
    (built_site / "content" / "posts" / name).write_bytes(data)
    code, err = run_build(built_site, capsys)
    assert code == 1
    assert expected in err
    assert "Traceback" not in err
    assert "Nothing was written" in err
    assert read_tree(built_site / "output") == before


def test_every_problem_is_reported_in_one_run(built_site: Path, capsys) -> None:
    for name, data, _ in BAD_INPUTS:
        (built_site / "content" / "posts" / name).write_bytes(data)
    (built_site / "templates").mkdir()
    (built_site / "templates" / "post.html").write_text("{% extends 'base.html' %}\n{% block content %}\n{% if x %}\n")
    code, err = run_build(built_site, capsys)
    assert code == 1
    assert err.startswith(f"{len(BAD_INPUTS) + 1} problems:")
    for _, _, expected in BAD_INPUTS:
        assert expected in err
    assert "templates/post.html:3: template syntax error" in err


def test_hint_follows_the_message(built_site: Path, capsys) -> None:
    (built_site / "content" / "posts" / "typo.md").write_bytes(next(b[1] for b in BAD_INPUTS if b[0] == "typo.md"))
    _, err = run_build(built_site, capsys)
    assert 'unknown front-matter key "teasr"\n    did you mean "teaser"?' in err


def test_two_posts_with_one_url(built_site: Path, capsys) -> None:
    (built_site / "content" / "posts" / "other.md").write_text("---\ntitle: Other\ndate: 2026-01-09\nslug: good\n---\n")
    code, err = run_build(built_site, capsys)
    assert code == 1
    assert "/2026/01/good/ is also the URL of content/posts/" in err


def test_template_runtime_error_names_template_and_line(built_site: Path, capsys) -> None:
    (built_site / "templates").mkdir()
    (built_site / "templates" / "post.html").write_text(
        "{% extends 'base.html' %}\n{% block content %}\n{{ post.titel }}\n{% endblock %}\n")
    code, err = run_build(built_site, capsys)
    assert code == 1
    assert "templates/post.html:3: template error:" in err
    assert "titel" in err


@pytest.mark.parametrize(("toml", "expected"), [
    ('title = "x\n', "site.toml:1: site.toml is not valid TOML"),
    ('title = "x"\nteaser_word = 5\n', 'site.toml:2: unknown key "teaser_word"'),
    ('title = "x"\ntimezone = "Mars/Olympus"\n', 'site.toml:2: unknown time zone "Mars/Olympus"'),
    ('title = "x"\nposts_per_page = "ten"\n', "site.toml:2: `posts_per_page` must be a whole number"),
    ('title = "x"\n[paywall]\nheadlin = "Read on"\n', 'site.toml:3: [paywall] unknown key "headlin"'),
    ('title = "x"\npermalink = "/{year}/{title}/"\n', "site.toml:2: permalink must start and end"),
])
def test_broken_site_toml(built_site: Path, capsys, toml: str, expected: str) -> None:
    before = read_tree(built_site / "output")
    (built_site / "site.toml").write_text(toml)
    code, err = run_build(built_site, capsys)
    assert code == 1
    assert expected in err
    assert read_tree(built_site / "output") == before


def test_missing_site_toml(tmp_path: Path, capsys) -> None:
    code = main(["build", str(tmp_path)])
    assert code == 1
    assert "no site.toml here" in capsys.readouterr().err


def test_markdown_outside_posts_and_pages_is_refused(built_site: Path, capsys) -> None:
    (built_site / "content" / "notes.md").write_text(GOOD_POST)
    code, err = run_build(built_site, capsys)
    assert code == 1
    assert "content/notes.md: Markdown file outside content/posts/ and content/pages/" in err


def test_a_key_twice_is_reported_with_the_other_problems_of_the_file(built_site: Path, capsys) -> None:
    (built_site / "content" / "posts" / "twice.md").write_bytes(
        b"---\ntitle: x\ndate: 2026-01-01\ntier: plus\ntier: free\nteaser: lots\n---\n")
    code, err = run_build(built_site, capsys)
    assert code == 1
    assert err.startswith("2 problems:\n1. content/posts/twice.md:5: `tier` is given twice (first on line 4)\n"
                          "    keep one `tier:` line and delete the other\n"
                          '2. content/posts/twice.md:6: teaser must be a whole number of words')


def test_a_comment_cutting_a_title_says_how_to_quote_it(built_site: Path, capsys) -> None:
    (built_site / "content" / "posts" / "hash.md").write_bytes(b"---\ntitle: Rates #1 in 2026\ndate: 2026-01-01\n---\n")
    _, err = run_build(built_site, capsys)
    assert '\n    put it in quotes: title: "Rates #1 in 2026"\n' in err


def test_a_comment_after_a_title_is_still_a_comment(built_site: Path, capsys) -> None:
    (built_site / "content" / "posts" / "note.md").write_bytes(
        b"---\ntitle: Rates  # working title\ndate: 2026-01-01\ntier: plus  # for members\n---\n\nWords.\n\n"
        b"<!--more-->\n\nMore words.\n")
    assert main(["build", str(built_site), "--quiet"]) == 0


@pytest.mark.parametrize("tier", ["Plus", "PLUS", " plus"])
def test_tier_in_capitals_is_plus(built_site: Path, tier: str) -> None:
    (built_site / "content" / "posts" / "paid.md").write_text(
        f"---\ntitle: Paid\ndate: 2026-01-06\ntier: \"{tier}\"\nteaser: 0\n---\n\nThe members-only sentence.\n")
    assert main(["build", str(built_site), "--quiet"]) == 0
    public = (built_site / "output/public/2026/01/paid/index.html").read_text()
    members = (built_site / "output/members/2026/01/paid/index.html").read_text()
    assert "members-only sentence" in members and "members-only sentence" not in public


def test_a_misspelt_tier_suggests_the_tier(built_site: Path, capsys) -> None:
    (built_site / "content" / "posts" / "t.md").write_text("---\ntitle: T\ndate: 2026-01-06\ntier: fre\n---\n")
    _, err = run_build(built_site, capsys)
    assert 'content/posts/t.md:4: tier must be "free" or "plus", got "fre"\n    did you mean "free"?' in err


def test_tags_written_as_words_with_commas_are_several_tags(built_site: Path) -> None:
    (built_site / "content" / "posts" / "t.md").write_text(
        "---\ntitle: T\ndate: 2026-01-06\ntags: equities, Rates, rates\nauthors: ann\n---\n\nWords.\n")
    assert main(["build", str(built_site), "--quiet"]) == 0
    tags = sorted(p.name for p in (built_site / "output/public/tags").iterdir() if p.is_dir())
    assert tags == ["equities", "rates"]
    page = (built_site / "output/public/2026/01/t/index.html").read_text()
    assert page.count('href="/tags/rates/"') == 1  # "Rates" and "rates" are one tag


def test_a_quoted_tag_keeps_its_comma(built_site: Path) -> None:
    (built_site / "content" / "posts" / "t.md").write_text(
        '---\ntitle: T\ndate: 2026-01-06\ntags: "rates, fed"\n---\n\nWords.\n')
    assert main(["build", str(built_site), "--quiet"]) == 0
    assert (built_site / "output/public/tags/rates-fed").is_dir()


def test_site_toml_and_content_problems_in_one_run(built_site: Path, capsys) -> None:
    before = read_tree(built_site / "output")
    toml = (built_site / "site.toml").read_text().replace('timezone = "UTC"', 'timezone = "New York"')
    (built_site / "site.toml").write_text("titel = 'x'\n" + toml)
    (built_site / "content" / "posts" / "tier.md").write_text("---\ntitle: x\ndate: 2026-01-01\ntier: premium\n---\n")
    code, err = run_build(built_site, capsys)
    assert code == 1
    assert err.startswith('3 problems:\n1. site.toml:1: unknown key "titel"\n    did you mean "title"?\n'
                          '2. site.toml:4: unknown time zone "New York"\n    did you mean "America/New_York"?\n'
                          '3. content/posts/tier.md:4: tier must be "free" or "plus", got "premium"')
    assert read_tree(built_site / "output") == before


@pytest.mark.parametrize(("toml", "expected"), [
    ('title = "x"\n\n[paywal]\nheadline = "Read on"\n', 'site.toml:3: unknown table [paywal]\n    did you mean "paywall"?'),
    ('posts_per_page = "6"\n', 'site.toml:1: `posts_per_page` must be a whole number, got "6"\n'
                               "    remove the quotes: posts_per_page = 6"),
    ('raw_html = "false"\n', 'site.toml:1: `raw_html` must be true or false, got "false"\n'
                             "    remove the quotes: raw_html = false"),
    ("title = 2026\n", 'site.toml:1: `title` must be text in quotes, got 2026\n    put it in double quotes: title = "2026"'),
    ("title = The Basis Point\n", 'site.toml:1: site.toml is not valid TOML: Invalid value\n'
                                  '    put text in double quotes: title = "The Basis Point"'),
    ("title = \u201cThe Basis Point\u201d\n", "site.toml:1: site.toml is not valid TOML: Invalid value\n"
                                            '    replace the curly quotes \u201c \u201d with straight ones: title = "..."'),
    ('timezone = "london"\n', 'site.toml:1: unknown time zone "london"\n    did you mean "Europe/London"?'),
    ('base_url = "letter.example.com"\n', 'site.toml:1: base_url must be an absolute http(s) URL, got '
                                          '"letter.example.com"\n    start it with https://: '
                                          'base_url = "https://letter.example.com"'),
    ('[[menu]]\ntitle = "About"\nurl = "/about/"\n\n[[menu]]\ntitle = "Archive"\nlink = "/archive/"\n',
     'site.toml:5: [[menu]] unknown key "link"'),
    ("free_after = 99999999999\n", "site.toml:1: free_after is 99999999999 days, more than a hundred years"),
    ('timezone = "UTC"\ntitle = "T"\n\ntimezone = "America/New_York"\n',
     "site.toml:4: `timezone` is set twice: on line 1 and again here\n    keep the one you mean and delete the other: "
     "a key may be set only once"),
    ('title = "T"\n\n[paywall]\nheadline = "A"\npitch = "B"\nheadline = "C"\n',
     "site.toml:6: `headline` is set twice: on line 4 and again here\n    keep the one you mean and delete the other: "
     "a key may be set only once"),
    ('[[menu]]\ntitle = "About"\n', "site.toml:1: each [[menu]] entry needs a title and a url\n"
                                    '    [[menu]]\n    title = "About"\n    url = "/about/"'),
])
def test_site_toml_mistakes_say_what_to_write(built_site: Path, capsys, toml: str, expected: str) -> None:
    (built_site / "site.toml").write_text(toml, encoding="utf-8")
    code, err = run_build(built_site, capsys)
    assert code == 1
    assert f"error: {expected}\n" in err


@pytest.mark.parametrize("name", ["site.toml.txt", "Site.toml"])
def test_a_misnamed_site_toml_is_named(built_site: Path, capsys, name: str) -> None:
    (built_site / "site.toml").rename(built_site / name)
    code, err = run_build(built_site, capsys)
    assert code == 1
    assert f"error: {built_site / name}: the settings file must be named exactly site.toml\n" \
           f"    rename {name} to site.toml\n" in err


def test_content_saved_as_a_file_does_not_empty_the_site(built_site: Path, capsys) -> None:
    before = read_tree(built_site / "output")
    shutil.rmtree(built_site / "content")
    (built_site / "content").write_text("oops")
    code, err = run_build(built_site, capsys)
    assert code == 1
    assert err.startswith("error: content: is a file, not a folder\n")
    assert read_tree(built_site / "output") == before


# A plus post that keeps nothing back: its whole text would be public, under a prompt to pay for "the rest"
WHOLLY_PUBLIC = [
    ("short.md", b"---\ntitle: x\ndate: 2026-01-01\ntier: plus\n---\n\nBuy the belly of the curve now.\n",
     "content/posts/short.md: this plus post's public teaser is the whole post (7 words, and its teaser is 10)"),
    ("more-last.md", b"---\ntitle: x\ndate: 2026-01-01\ntier: plus\n---\n\n" + b"word " * 30 + b"\n\n<!--more-->\n",
     "content/posts/more-last.md: this plus post's public teaser is the whole post (nothing follows its "
     "`<!--more-->` line)"),
    ("bodiless.md", b"---\ntitle: x\ndate: 2026-01-01\ntier: plus\n---\n",
     "content/posts/bodiless.md: this plus post's public teaser is the whole post (it has no body text)"),
]


@pytest.mark.parametrize(("name", "data", "expected"), WHOLLY_PUBLIC, ids=[w[0] for w in WHOLLY_PUBLIC])
def test_a_plus_post_that_keeps_nothing_back_is_refused(built_site: Path, capsys, name: str, data: bytes,
                                                        expected: str) -> None:
    before = read_tree(built_site / "output")
    (built_site / "content" / "posts" / name).write_bytes(data)
    code, err = run_build(built_site, capsys)
    assert code == 1 and expected in err and "Traceback" not in err
    assert "`<!--more-->`" in err and "`teaser: 0`" in err and "`tier: free`" in err  # what to do
    assert read_tree(built_site / "output") == before
    assert main(["check", str(built_site)]) == 1  # check reports what build would
    assert expected in capsys.readouterr().err


def test_a_short_plus_post_builds_once_it_keeps_something_back(built_site: Path, capsys) -> None:
    post = built_site / "content" / "posts" / "short.md"
    post.write_text("---\ntitle: Short\ndate: 2026-01-02\ntier: plus\nteaser: 0\n---\n\nBuy the belly of the curve.\n")
    assert main(["build", str(built_site), "--quiet"]) == 0
    public = read_tree(built_site / "output" / "public")
    assert not any(b"belly of the curve" in data for data in public.values())
    assert any(b"belly of the curve" in data for data in read_tree(built_site / "output" / "members").values())
    post.write_text("---\ntitle: Short\ndate: 2026-01-02\ntier: plus\ndraft: true\n---\n\nBuy the belly.\n")
    assert main(["build", str(built_site), "--quiet", "--drafts"]) == 0  # a draft is looked at, not published
    assert main(["build", str(built_site), "--quiet"]) == 0  # and left out without --drafts


@pytest.mark.parametrize(("tags", "expected"), [
    ('["%%"]', 'content/posts/tagged.md: tag "%%" has no letters or digits to make its URL from'),
    ('["' + "market structure " * 20 + '"]', 'content/posts/tagged.md: tag "market structure market structure market…" '
     "is too long for its URL (339 bytes as a folder name; at most 200)"),
    ('["' + "日本" * 40 + '"]', "is too long for its URL (240 bytes as a folder name; at most 200)"),
], ids=["no-letters", "long", "long-in-bytes"])
def test_a_tag_that_cannot_make_a_url_is_named(built_site: Path, capsys, tags: str, expected: str) -> None:
    # these were a build failing in the staging folder ("File name too long", no post named) or a
    # tags/untitled/ page shared by every such tag
    before = read_tree(built_site / "output")
    (built_site / "content" / "posts" / "tagged.md").write_text(f"---\ntitle: x\ndate: 2026-01-01\ntags: {tags}\n---\n\nHi.\n")
    code, err = run_build(built_site, capsys)
    assert code == 1 and expected in err and "Traceback" not in err and "staging" not in err
    assert read_tree(built_site / "output") == before
    assert main(["check", str(built_site)]) == 1 and expected in capsys.readouterr().err


def test_two_spellings_of_one_tag_url_build_with_a_warning(built_site: Path, capsys) -> None:
    posts = built_site / "content" / "posts"
    (posts / "a.md").write_text('---\ntitle: A\ndate: 2026-01-01\ntags: ["S&P 500", "Rates"]\n---\n\nHi.\n')
    (posts / "b.md").write_text('---\ntitle: B\ndate: 2026-01-02\ntags: ["S&P-500", "rates"]\n---\n\nHo.\n')
    assert main(["build", str(built_site)]) == 0
    err = capsys.readouterr().err
    assert ('warning: content/posts/b.md: tag "S&P-500" makes the same URL (/tags/s-p-500/) as "S&P 500" in '
            "content/posts/a.md") in err
    assert "Rates" not in err  # the same name in another case is the same tag
    page = (built_site / "output" / "public" / "tags" / "s-p-500" / "index.html").read_text()
    assert ">A<" in page and ">B<" in page


def test_a_tab_indented_list_is_named_as_the_cause(built_site: Path, capsys) -> None:
    (built_site / "content" / "posts" / "tabbed.md").write_text("---\ntitle: x\ndate: 2026-01-01\ntags:\n\t- rates\n---\n")
    code, err = run_build(built_site, capsys)
    assert code == 1 and "content/posts/tabbed.md:5: front matter is not valid YAML" in err
    assert "indent with spaces, not tabs" in err


def test_a_page_without_front_matter_is_told_what_a_page_needs(built_site: Path, capsys) -> None:
    (built_site / "content" / "pages").mkdir()
    (built_site / "content" / "pages" / "about.md").write_text("About us.\n")
    code, err = run_build(built_site, capsys)
    assert code == 1 and "start the file with ---, then a title: line, then --- again" in err


@pytest.mark.parametrize(("expression", "expected"), [
    ("config.copyrigth", 'template error: config has no field "copyrigth" (did you mean "copyright"?)'),
    ("site.posts[0].body", 'template error: a post has no field "body"'),  # through the page keys' mirror record
])
def test_a_misspelt_field_in_a_template_is_named_in_the_templates_words(built_site: Path, capsys, expression: str,
                                                                        expected: str) -> None:
    (built_site / "templates" / "partials").mkdir(parents=True)
    (built_site / "templates" / "partials" / "footer_extra.html").write_text(f"<p>{{{{ {expression} }}}}</p>\n")
    code, err = run_build(built_site, capsys)
    assert code == 1 and f"templates/partials/footer_extra.html:1: {expected}" in err
    assert "tearsheet." not in err and "object" not in err  # no Python class names


def test_an_svg_social_image_is_warned_of(built_site: Path, capsys) -> None:
    (built_site / "content" / "posts" / "chart.md").write_text(
        "---\ntitle: Chart\ndate: 2026-01-03\nimage: /images/chart.svg\n---\n\nHi.\n")
    assert main(["build", str(built_site), "--quiet"]) == 0
    assert ("warning: content/posts/chart.md: `image: /images/chart.svg` is an SVG, which link previews on social "
            "networks and in messengers do not show: use a PNG or JPEG") in capsys.readouterr().err
    (built_site / "content" / "posts" / "chart.md").write_text(
        "---\ntitle: Chart\ndate: 2026-01-03\nimage: /images/chart.png\n---\n\nHi.\n")
    assert main(["build", str(built_site), "--quiet"]) == 0
    assert "SVG" not in capsys.readouterr().err


def test_an_svg_social_image_in_site_toml_is_warned_of_with_its_line(built_site: Path, capsys) -> None:
    toml = (built_site / "site.toml").read_text()
    (built_site / "site.toml").write_text('image = "/images/card.svg"\n' + toml)
    assert main(["build", str(built_site), "--quiet"]) == 0
    assert ('warning: site.toml:1: `image = "/images/card.svg"` is an SVG, which link previews on social '
            "networks and in messengers do not show") in capsys.readouterr().err


def test_an_update_before_the_date_is_warned_of(built_site: Path, capsys) -> None:
    (built_site / "content" / "posts" / "later.md").write_text(
        "---\ntitle: L\ndate: 2026-03-05\nupdated: 2026-03-01\n---\n\nHi.\n")
    assert main(["build", str(built_site), "--quiet"]) == 0
    assert "content/posts/later.md: `updated` (2026-03-01T00:00:00+00:00) is before `date` (2026-03-05T00:00:00+00:00)" \
        in capsys.readouterr().err


FENCED = ("---\ntitle: Fenced\ndate: 2026-01-03\ntier: {tier}\n---\n\nOpening words for everyone.\n\n"
          "```python\nx = 1\n\n<!--more-->\n\nzqmember text: weight the signal by inverse volatility.\n")


def test_a_more_line_swallowed_by_a_code_block_never_closed_stops_the_build(built_site: Path, capsys) -> None:
    """The writer marked the cut; a forgotten closing fence would make it code and show the public what follows."""
    before = read_tree(built_site / "output")
    (built_site / "content" / "posts" / "fenced.md").write_text(FENCED.format(tier="plus"))
    code, err = run_build(built_site, capsys)
    assert code == 1
    assert ("content/posts/fenced.md:12: this `<!--more-->` line is inside the code block opened on line 9, "
            "which is never closed") in err
    assert "the whole post" not in err  # not the short-post message, which would tell them to add the line they have
    assert read_tree(built_site / "output") == before
    (built_site / "content" / "posts" / "fenced.md").write_text(FENCED.format(tier="plus").replace("x = 1\n", "x = 1\n```\n"))
    assert run_build(built_site, capsys)[0] == 0


@pytest.mark.parametrize("cache", [True, False])
def test_a_code_block_never_closed_is_warned_of_with_its_line(built_site: Path, capsys, cache: bool) -> None:
    (built_site / "content" / "posts" / "fenced.md").write_text(FENCED.format(tier="free"))
    flags = [] if cache else ["--no-cache"]
    for _ in range(2):  # the second build takes the body from the cache, and still says so
        assert main(["build", str(built_site), "--quiet", *flags]) == 0
        assert ("warning: content/posts/fenced.md:9: this code block is never closed, so everything after it shows "
                "as code") in capsys.readouterr().err


@pytest.mark.parametrize("body", [
    "```\n<!--more-->\n```\n",  # a closed block showing the marker: documentation, not a cut
    "Text.\n\n~~~~\ncode\n~~~~~\n",  # closed by a longer fence
    "- item\n\n  ```\n  code\n\nAfter the list.\n",  # a block in a list ends with the list
    "> ```\n> code\n\nAfter the quote.\n",
    "Text.\n\n```\ncode\n```",  # closed on the last line, no newline after
])
def test_a_closed_code_block_is_not_warned_of(built_site: Path, capsys, body: str) -> None:
    (built_site / "content" / "posts" / "code.md").write_text(f"---\ntitle: Code\ndate: 2026-01-03\n---\n\n{body}")
    assert main(["build", str(built_site), "--quiet"]) == 0
    assert "never closed" not in capsys.readouterr().err


STRAY = "---\ntitle: Stray\ndate: 2026-01-03\ntier: plus\nteaser: 5\n---\n\nOpening words for everyone.\n\n{marker}\n" \
        "zqmember line: weight the signal by inverse volatility.\n\nMore member-only text follows here.\n"


@pytest.mark.parametrize(("marker", "line", "where"), [
    ('<iframe src="https://example.com/chart"></iframe>\n<!--more-->', 11, "the HTML block that starts on line 10"),
    ('<div class="chart"></div>\n<!-- more -->', 11, "the HTML block that starts on line 10"),
    ("The close. <!--more-->", 10, "inside a paragraph"),
    ("The close. <!--more Keep reading-->", 10, "inside a paragraph"),
    ("    <!--more-->", 10, "indented 4 spaces or more, so markdown reads it as code"),
])
def test_a_more_marker_not_on_a_line_of_its_own_stops_the_build(built_site: Path, capsys, marker: str, line: int,
                                                                 where: str) -> None:
    """Markdown takes such a marker for part of the HTML or paragraph before it: it would not cut, and the
    teaser (its words, or the whole HTML block, which has none to count) would run on into members' text."""
    before = read_tree(built_site / "output")
    (built_site / "content" / "posts" / "stray.md").write_text(STRAY.format(marker=marker))
    code, err = run_build(built_site, capsys)
    assert code == 1
    assert f"content/posts/stray.md:{line}: this `<!--more-->` is not on a line of its own" in err and where in err
    assert "put `<!--more-->` on a line by itself" in err
    assert read_tree(built_site / "output") == before
    fixed = STRAY.format(marker=marker.replace("<!--", "\n<!--").replace("-->", "-->\n"))
    (built_site / "content" / "posts" / "stray.md").write_text(fixed)
    assert run_build(built_site, capsys)[0] == 0
    assert b"zqmember" not in b"".join(read_tree(built_site / "output" / "public").values())


def test_a_comment_that_starts_with_more_is_a_comment(built_site: Path, capsys) -> None:
    body = STRAY.format(marker="<!-- more charts to come -->\n<!-- more-info: check the figures -->\n")
    (built_site / "content" / "posts" / "note.md").write_text(body.replace("teaser: 5", "teaser: 6"))
    code, err = run_build(built_site, capsys)
    assert code == 0 and "<!--more-->" not in err
    page = (built_site / "output" / "public" / "2026" / "01" / "note" / "index.html").read_text()
    assert "Opening words for everyone." in page and "zqmember line:</p>" in page  # cut by the count, not there


def test_a_more_marker_in_a_sentence_is_caught_with_raw_html_off(built_site: Path, capsys) -> None:
    toml = built_site / "site.toml"
    toml.write_text("raw_html = false\n" + toml.read_text())
    (built_site / "content" / "posts" / "stray.md").write_text(STRAY.format(marker="The close. <!--more-->"))
    code, err = run_build(built_site, capsys)
    assert code == 1 and "content/posts/stray.md:10: this `<!--more-->` is not on a line of its own" in err


@pytest.mark.parametrize("marker", ["<!--more-->", "<!-- more -->", "<!--more Keep reading-->", "<!--MORE-->"])
def test_a_more_marker_as_other_tools_write_it_cuts_on_its_own_line(built_site: Path, capsys, marker: str) -> None:
    (built_site / "content" / "posts" / "wp.md").write_text(STRAY.format(marker=f"\n{marker}\n"))
    assert run_build(built_site, capsys)[0] == 0
    public = (built_site / "output" / "public").rglob("*.html")
    assert not any("zqmember" in page.read_text() for page in public)
    assert "zqmember" in "".join(p.read_text() for p in (built_site / "output" / "members").rglob("*.html"))


@pytest.mark.parametrize(("expression", "message"), [
    ('{{ post.words + " words" }}', "template error: unsupported operand type(s) for +: 'int' and 'str' (TypeError)"),
    ("{{ 1/0 }}", "template error: division by zero (ZeroDivisionError)"),
    ("{{ post.date | date(5) }}", "(AttributeError)"),
    ("{{ absolute(None) }}", "(TypeError)"),
    ('{% include "post.html" %}', "template error: templates include or call one another without end"),
    ('{% include "partial/nav.html" %}', 'template error: there is no template "partial/nav.html" to include'),
])
def test_a_template_expression_that_fails_as_it_runs_is_a_clear_error(built_site: Path, capsys, expression: str,
                                                                      message: str) -> None:
    before = read_tree(built_site / "output")
    (built_site / "templates").mkdir(exist_ok=True)
    (built_site / "templates" / "post.html").write_text(
        '{% extends "base.html" %}\n{% block content %}\n' + expression + "\n{% endblock %}\n")
    code, err = run_build(built_site, capsys)
    assert code == 1 and "templates/post.html:" in err and message in err, err
    assert "Traceback" not in err
    assert read_tree(built_site / "output") == before


@pytest.mark.parametrize(("title", "expected"), [
    ("\u201cFed minutes: a hawkish tilt\u201d", 'content/posts/q.md:2: front matter is not valid YAML: mapping values '
     'are not allowed in this context\n    replace the curly quotes \u201c \u201d with straight ones, which YAML reads '
     'as quotes: title: "Fed minutes: a hawkish tilt"'),
    ("Fed minutes: a hawkish tilt", 'content/posts/q.md:2: front matter is not valid YAML: mapping values are not '
     'allowed in this context\n    put the value in quotes, as it holds ": ": title: "Fed minutes: a hawkish tilt"'),
])
def test_a_title_with_a_colon_says_how_to_quote_it(built_site: Path, capsys, title: str, expected: str) -> None:
    (built_site / "content" / "posts" / "q.md").write_text(f"---\ntitle: {title}\ndate: 2026-01-03\n---\n\nHi.\n")
    code, err = run_build(built_site, capsys)
    assert code == 1 and f"error: {expected}\n" in err


def test_a_title_in_curly_quotes_is_warned_of(built_site: Path, capsys) -> None:
    (built_site / "content" / "posts" / "q.md").write_text(
        "---\ntitle: \u201cFed minutes, a hawkish tilt\u201d\ndate: 2026-01-03\n---\n\nHi.\n")
    assert run_build(built_site, capsys)[1].count("the title is wrapped in curly quotes") == 1


def test_markdown_that_shows_as_text_is_warned_of_with_its_line(built_site: Path, capsys) -> None:
    (built_site / "content" / "posts" / "word.md").write_text(
        "---\ntitle: Word\ndate: 2026-01-03\n---\n\nA chart:\n\n![My chart](/images/my chart.png)\n\n"
        "A note[^b] and a real one[^a], and `[^c]` in code.\n\n[^a]: Real.\n")
    for _ in range(2):  # the second build takes the body from the cache, and still says so
        err = run_build(built_site, capsys)[1]
        assert ("warning: content/posts/word.md:8: this image shows as text, since its address has a space: write "
                "![My chart](</images/my chart.png>), or rename the file without spaces") in err
        assert ("warning: content/posts/word.md:10: footnote [^b] is never written, so it shows as text: add a line "
                "`[^b]: ...` at the end of the post, or remove it") in err
        assert "[^a]" not in err and "[^c]" not in err
    (built_site / "content" / "posts" / "word.md").write_text(
        "---\ntitle: Word\ndate: 2026-01-03\n---\n\n![My chart](</images/my chart.png>)\n")
    assert "shows as text" not in run_build(built_site, capsys)[1]


def test_a_table_row_with_more_cells_than_the_header_is_warned_of_with_its_line(built_site: Path, capsys) -> None:
    """Markdown drops the extra cells: a yield pasted into a third column never shows."""
    (built_site / "content" / "posts" / "rates.md").write_text(
        "---\ntitle: Rates\ndate: 2026-01-03\n---\n\n| Bond | Yield |\n|---|---|\n| UST 10y | 4.2% | 4.1% |\n"
        "| Bund | 2.3% |\n| Gilt \\| linker | 4.0% |\n\n> | a | b |\n> |---|---|\n> | 1 | 2 | 3 | 4 |\n")
    err = run_build(built_site, capsys)[1]
    assert ("warning: content/posts/rates.md:8: this table row has 3 cells but the table has 2 columns, so the last "
            "cell does not show: add the column to the header row and the |---| line under it, or remove the extra "
            "cells") in err
    assert "content/posts/rates.md:14: this table row has 4 cells but the table has 2 columns, so the last 2 do " in err
    assert err.count("this table row has") == 2  # a short row, an escaped \\|: no warning


@pytest.mark.parametrize("folder", [b"static", b"content/.well-known", b"content/files"])
def test_a_file_name_that_is_not_utf8_is_a_clear_error(built_site: Path, capsys, folder: bytes) -> None:
    """Latin-1 bytes, as a zip made on Windows unpacks them: a traceback once, where the name went into a URL."""
    import os

    os.makedirs(bytes(built_site) + b"/" + folder, exist_ok=True)
    with open(bytes(built_site) + b"/" + folder + b"/r\xe9sum\xe9.css", "wb") as handle:
        handle.write(b"a{}")
    code, err = run_build(built_site, capsys)
    assert code == 1 and "Traceback" not in err
    assert f"error: {folder.decode()}/r\ufffdsum\ufffd.css: the file's name is not UTF-8 text" in err
    assert "rename the file" in err


def test_a_link_no_browser_can_follow_is_named_with_its_line(built_site: Path, capsys) -> None:
    """It was a traceback (ValueError: Invalid IPv6 URL) in the stage that sorts files by who links to them."""
    (built_site / "content" / "posts" / "v6.md").write_text(
        '---\ntitle: x\ndate: 2026-01-01\n---\n\nSee <img src="http://[2001:db8::1/c.png"> here.\n')
    code, err = run_build(built_site, capsys)
    assert code == 1 and "Traceback" not in err
    assert 'content/posts/v6.md:6: "http://[2001:db8::1/c.png" is not a web address a browser can follow' in err


def test_a_more_marker_in_a_table_cell_or_heading_says_where_it_is(built_site: Path, capsys) -> None:
    for marker, where in (("| a | b |\n|---|---|\n| one <!--more--> | two |", "inside a table cell"),
                          ("## The close <!--more-->", "inside a heading")):
        (built_site / "content" / "posts" / "stray.md").write_text(STRAY.format(marker=marker))
        code, err = run_build(built_site, capsys)
        assert code == 1 and f"is not on a line of its own (it is {where})" in err, err
