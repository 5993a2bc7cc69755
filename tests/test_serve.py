"""tearsheet serve at the state, socket and HTTP level: no browser here (see test_serve_browser.py)."""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from watchfiles import Change

from tearsheet.cli import main
from tearsheet.errors import SiteError
from tearsheet.preview_http import PreviewHTTPServer, host_allowed
from tearsheet.serve import PREVIEW_DIR, PreviewServer, ServeOptions, SourceFilter, open_http_server, serve

from .conftest import build, ctrl_c_as_in_a_terminal, read_tree

SECRET = b"zqsecret-outside-the-preview-root"
MEMBER_ONLY = b"zqmember-only-words"
BAD_FRONT_MATTER = SiteError.one("content/posts/2026/free-note.md", 3, 'tier must be "free" or "plus", got "premium"',
                                 "write tier: free or tier: plus")

PUBLIC_FILES = {
    "index.html": b'<!doctype html><html><body><a href="/2026/10/note/">Note</a></body></html>',
    "2026/10/note/index.html": b'<html><body><h1>Public note</h1><a href="/">home</a>'
                               b'<img src="/images/a.svg"></body></html>',
    "404.html": b"<html><body><h1>Site's own not-found page</h1></body></html>",
    "assets/style.abc.css": b"body { color: black }",
    "images/a.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>",
    "feed.xml": b"<?xml version='1.0'?><rss/>",
}
MEMBERS_FILES = {
    **PUBLIC_FILES,
    "2026/10/note/index.html": b'<html><body><h1>Members note</h1><p>' + MEMBER_ONLY + b'</p>'
                               b'<a href="/">home</a><a href="//cdn.example.com/x.js">cdn</a></body></html>',
    "404.html": b"<html><body><h1>Members not-found page</h1></body></html>",
}


# --- helpers --------------------------------------------------------------------------------------


def write_tree(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def raw_request(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are (no client normalises the path) and read the whole response."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def get(port: int, path: str, host: str = "127.0.0.1", method: str = "GET",
        extra: str = "") -> tuple[int, dict[str, str], bytes]:
    request = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{extra}\r\n"
    return raw_request(port, request.encode("latin-1"))


class EventStream:
    """The live-reload stream, read one status event at a time."""

    def __init__(self, port: int, origin: str | None = None, timeout: float = 10.0) -> None:
        extra = f"Origin: {origin}\r\n" if origin else ""
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.sendall(f"GET /_tearsheet/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}\r\n".encode())
        self.buffer = b""
        self.events: list[dict[str, str]] = []

    def next(self) -> dict[str, str]:
        while not self.events:
            chunk = self.sock.recv(65536)
            assert chunk, "the stream ended"
            *blocks, self.buffer = (self.buffer + chunk).split(b"\n\n")
            self.events += [json.loads(b.split(b"data: ", 1)[1]) for b in blocks if b.startswith(b"event: status")]
        return self.events.pop(0)

    def close(self) -> None:
        self.sock.close()


def first_event(port: int, origin: str | None = None) -> dict[str, str]:
    stream = EventStream(port, origin)
    try:
        return stream.next()
    finally:
        stream.close()


class FakeBuild:
    """A build function that writes nothing and fails on demand."""

    def __init__(self) -> None:
        self.error: BaseException | None = None
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1
        if self.error is not None:
            raise self.error


@pytest.fixture
def preview_root(tmp_path: Path) -> Path:
    (tmp_path / "secret.txt").write_bytes(SECRET)
    root = tmp_path / "preview"
    write_tree(root / "public", PUBLIC_FILES)
    write_tree(root / "members", MEMBERS_FILES)
    return root


@pytest.fixture
def running(preview_root: Path) -> Iterator[tuple[PreviewServer, int, FakeBuild]]:
    """A real HTTP server on a free port, serving preview_root through a PreviewServer with a fake build."""
    fake = FakeBuild()
    preview = PreviewServer(str(preview_root), fake)
    preview.rebuild()
    httpd = open_http_server("127.0.0.1", 0)
    httpd.preview = preview
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield preview, httpd.server_port, fake
    preview.close()
    httpd.shutdown()
    httpd.server_close()


# --- the state, without a socket ------------------------------------------------------------------


def test_failed_rebuild_keeps_the_last_good_build_and_reports_the_cli_text(tmp_path: Path) -> None:
    fake, logged = FakeBuild(), []
    preview = PreviewServer(str(tmp_path), fake, logged.append)
    assert preview.rebuild()
    good = preview.status
    fake.error = BAD_FRONT_MATTER
    assert not preview.rebuild("content/posts/2026/free-note.md")
    broken = preview.status
    assert broken.build_id == good.build_id and broken.version > good.version
    assert broken.error == ('content/posts/2026/free-note.md:3: tier must be "free" or "plus", got "premium"\n'
                            "    write tier: free or tier: plus")
    assert logged[-1].startswith("error: " + broken.error + "\n")
    fake.error = None
    assert preview.rebuild()
    assert preview.status.error == "" and preview.status.build_id != good.build_id


def test_a_bug_in_the_build_does_not_stop_the_server(tmp_path: Path) -> None:
    fake, logged = FakeBuild(), []
    preview = PreviewServer(str(tmp_path), fake, logged.append)
    fake.error = ZeroDivisionError("oops")
    assert not preview.rebuild()
    assert "internal error" in preview.status.error and "ZeroDivisionError" in preview.status.error
    assert "Traceback" in logged[-1]
    fake.error = None
    assert preview.rebuild() and preview.status.error == ""


def test_waiting_pages_hear_of_a_rebuild_and_of_closing(tmp_path: Path) -> None:
    preview = PreviewServer(str(tmp_path), FakeBuild())
    seen = preview.status.version
    assert preview.wait_for_change(seen, 0.01) == preview.status  # timeout: same status, for a keep-alive
    threading.Timer(0.05, preview.rebuild).start()
    started = time.monotonic()
    changed = preview.wait_for_change(seen, 5)
    assert changed is not None and changed.version != seen and time.monotonic() - started < 2
    preview.close()
    assert preview.wait_for_change(changed.version, 5) is None


def test_the_watch_filter_passes_sources_only(tmp_path: Path) -> None:
    site = str(tmp_path)
    accept = SourceFilter(site)
    for name in ("site.toml", "content/posts/a.md", "content/images/x.svg", "templates/post.html", "static/x.css"):
        assert accept(Change.modified, os.path.join(site, name)), name
    for name in ("output/public/index.html", f"{PREVIEW_DIR}/public/index.html",
                 f"{PREVIEW_DIR}/.tearsheet-staging-12/public/x.html", ".tearsheet-cache/posts.db",
                 ".git/index", "content/posts/.a.md.swp", "content/posts/a.md~", "README.md", "notes.txt"):
        assert not accept(Change.modified, os.path.join(site, name)), name


# --- HTTP ------------------------------------------------------------------------------------------


TRAVERSALS = [
    "/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/..%2fsecret.txt", "/..%5csecret.txt",
    "/..\\secret.txt", "/.%2e/secret.txt", "//host/../secret.txt", "/%2f%2e%2e%2fsecret.txt",
    "/2026/../../secret.txt", "/_members/../../secret.txt", "/_members/%2e%2e/%2e%2e/secret.txt",
    "/..%2fmembers/2026/10/note/index.html", "/%2e%2e/members/2026/10/note/", "/%252e%252e/secret.txt",
    "/%00/secret.txt", "/%c0%ae%c0%ae/secret.txt",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_paths_that_climb_out_of_the_preview_root_are_404(running, path: str) -> None:
    _, port, _ = running
    status, _, body = get(port, path)
    assert status == 404
    assert SECRET not in body and MEMBER_ONLY not in body


def test_absolute_paths_and_absolute_form_targets_are_404(running, preview_root: Path) -> None:
    _, port, _ = running
    for target in (str(preview_root.parent / "secret.txt"), f"http://127.0.0.1:{port}/../secret.txt",
                   "/%2F" + str(preview_root.parent / "secret.txt").lstrip("/")):
        status, _, body = get(port, target)
        assert status == 404, target
        assert SECRET not in body


def test_symlinks_leading_out_of_the_root_are_404(running, preview_root: Path) -> None:
    _, port, _ = running
    (preview_root / "public" / "linked.txt").symlink_to(preview_root.parent / "secret.txt")
    (preview_root / "public" / "linkdir").symlink_to(preview_root.parent)
    (preview_root / "public" / "peek").symlink_to(preview_root / "members")
    for path in ("/linked.txt", "/linkdir/secret.txt", "/peek/2026/10/note/"):
        status, _, body = get(port, path)
        assert status == 404, path
        assert SECRET not in body and MEMBER_ONLY not in body


@pytest.mark.parametrize("host", ["evil.example.com", "evil.example.com:{port}", "127.0.0.1.evil.example.com",
                                  "localhost.evil.example.com", "", "[::2]", "[::1", "[::1]x", "user@localhost",
                                  "localhost@evil.example.com", "localhost/evil", "localhost:{port}:1", "local host"])
def test_foreign_host_headers_are_refused(running, host: str) -> None:
    _, port, _ = running
    status, _, body = get(port, "/", host=host.format(port=port))
    assert status == 400 and b"<html" not in body


def test_two_host_headers_are_refused(running) -> None:
    _, port, _ = running
    status, _, _ = raw_request(port, b"GET / HTTP/1.1\r\nHost: localhost\r\nHost: evil.example.com\r\n"
                                     b"Connection: close\r\n\r\n")
    assert status == 400


def test_a_tab_that_drops_its_connection_prints_no_traceback(running, capfd) -> None:
    _, port, _ = running
    for _ in range(5):  # a reload cancels the requests still loading: the browser resets the connection
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.sendall(b"GET /2026/10/note/ HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert get(port, "/")[0] == 200
    time.sleep(0.2)
    assert "Traceback" not in capfd.readouterr().err


def test_host_names_allowed_for_other_bound_addresses() -> None:
    assert host_allowed("192.168.1.5:8000", "0.0.0.0") and host_allowed("[fe80::1]:8000", "::")
    assert not host_allowed("evil.example.com:8000", "0.0.0.0")
    assert host_allowed("mybox.local:8000", "mybox.local") and not host_allowed("192.168.1.5", "mybox.local")
    assert not host_allowed("192.168.1.5:8000", "127.0.0.1")


def test_the_host_name_given_to_listen_on_is_answered(preview_root: Path) -> None:
    name = socket.gethostname()
    try:
        httpd = open_http_server(name, 0)
    except SiteError:
        pytest.skip(f"this machine's name {name} does not resolve to an address of its own")
    httpd.preview = PreviewServer(str(preview_root), FakeBuild())
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        address, port = httpd.server_address[:2]
        with socket.create_connection((address, port), timeout=5) as sock:
            sock.sendall(f"GET / HTTP/1.1\r\nHost: {name}:{port}\r\nConnection: close\r\n\r\n".encode())
            assert sock.recv(100).startswith(b"HTTP/1.1 200")
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_request_without_a_host_header_is_refused(running) -> None:
    _, port, _ = running
    status, _, _ = raw_request(port, b"GET / HTTP/1.0\r\n\r\n")
    assert status == 400


@pytest.mark.parametrize("host", ["localhost", "localhost:{port}", "127.0.0.1:{port}", "[::1]:{port}", "LOCALHOST"])
def test_local_host_headers_are_served(running, host: str) -> None:
    _, port, _ = running
    assert get(port, "/", host=host.format(port=port))[0] == 200


def test_the_reload_channel_checks_origin(running) -> None:
    _, port, _ = running
    status, _, _ = get(port, "/_tearsheet/events", extra="Origin: http://evil.example.com\r\n")
    assert status == 403
    status, _, _ = get(port, "/_tearsheet/events", extra=f"Origin: http://evil.example.com:{port}\r\n")
    assert status == 403
    for origin in ("http://localhost:1", "http://127.0.0.1", f"https://127.0.0.1:{port}", f"http://[::1:{port}",
                   "null", f"http://127.0.0.1:{port}/x"):  # another port is another origin
        assert get(port, "/_tearsheet/events", extra=f"Origin: {origin}\r\n")[0] == 403, origin
    assert first_event(port, origin=f"http://localhost:{port}")["error"] == ""  # same origin: served


def test_the_shared_reload_worker_is_served_to_this_machine_only(running) -> None:
    _, port, _ = running
    status, headers, body = get(port, "/_tearsheet/reload-worker.js")
    assert status == 200 and headers["content-type"] == "text/javascript; charset=utf-8"
    assert b'new EventSource("/_tearsheet/events")' in body
    assert b'new SharedWorker("/_tearsheet/reload-worker.js"' in get(port, "/2026/10/note/")[2]
    assert get(port, "/_tearsheet/reload-worker.js", host="evil.example.com")[0] == 400


def test_content_types_and_head(running) -> None:
    _, port, _ = running
    expected = {"/": "text/html; charset=utf-8", "/assets/style.abc.css": "text/css; charset=utf-8",
                "/images/a.svg": "image/svg+xml", "/feed.xml": "application/xml"}
    for path, kind in expected.items():
        status, headers, body = get(port, path)
        assert (status, headers["content-type"]) == (200, kind), path
        assert int(headers["content-length"]) == len(body)
        head_status, head_headers, head_body = get(port, path, method="HEAD")
        assert (head_status, head_body) == (200, b"")
        assert head_headers["content-length"] == headers["content-length"]
        assert head_headers["etag"] == headers["etag"]


def test_etag_and_last_modified_give_304(running) -> None:
    _, port, _ = running
    for path in ("/assets/style.abc.css", "/2026/10/note/"):
        _, headers, _ = get(port, path)
        assert get(port, path, extra=f"If-None-Match: {headers['etag']}\r\n")[:1] == (304,)
        assert get(port, path, extra=f"If-Modified-Since: {headers['last-modified']}\r\n")[:1] == (304,)
        assert get(port, path, extra='If-None-Match: "something-else"\r\n')[0] == 200
        assert get(port, path, extra="If-Modified-Since: Mon, 01 Jan 1990 00:00:00 GMT\r\n")[0] == 200


def test_a_rebuild_changes_a_pages_etag_so_reloads_get_the_new_build(running) -> None:
    preview, port, _ = running
    _, headers, _ = get(port, "/2026/10/note/")
    time.sleep(1.05)  # Last-Modified has one-second resolution
    preview.rebuild()
    assert get(port, "/2026/10/note/", extra=f"If-None-Match: {headers['etag']}\r\n")[0] == 200
    assert get(port, "/2026/10/note/", extra=f"If-Modified-Since: {headers['last-modified']}\r\n")[0] == 200


def test_the_snippet_is_added_to_served_html_only(running, preview_root: Path) -> None:
    preview, port, _ = running
    _, _, page = get(port, "/2026/10/note/")
    assert b'id="tearsheet-preview"' in page and b"/_tearsheet/events" in page
    assert preview.status.build_id.encode() in page
    assert page.index(b'id="tearsheet-preview"') < page.rindex(b"</body>")
    assert b'<a href="/_members/2026/10/note/">Members</a>' in page
    assert (preview_root / "public/2026/10/note/index.html").read_bytes() == PUBLIC_FILES["2026/10/note/index.html"]
    assert b"tearsheet-preview" not in get(port, "/assets/style.abc.css")[2]


def test_members_pages_keep_their_links_inside_the_members_view(running) -> None:
    _, port, _ = running
    status, _, page = get(port, "/_members/2026/10/note/")
    assert status == 200 and MEMBER_ONLY in page
    assert b'<a href="/_members/">home</a>' in page
    assert b'href="//cdn.example.com/x.js"' in page
    assert b'<a href="/2026/10/note/">Public</a>' in page
    assert MEMBER_ONLY not in get(port, "/2026/10/note/")[2]


def test_the_sites_own_404_page_with_status_404(running) -> None:
    _, port, _ = running
    status, headers, page = get(port, "/no/such/page/")
    assert status == 404 and b"Site's own not-found page" in page and b'id="tearsheet-preview"' in page
    assert headers["content-type"] == "text/html; charset=utf-8"
    status, _, page = get(port, "/_members/no/such/page/")
    assert status == 404 and b"Members not-found page" in page
    assert get(port, "/no/such/page/", method="HEAD")[:1] == (404,)


def test_folders_redirect_to_their_slash(running) -> None:
    _, port, _ = running
    assert get(port, "/2026/10/note?x=1")[:2][0] == 302
    assert get(port, "/2026/10/note?x=1")[1]["location"] == "/2026/10/note/?x=1"
    assert get(port, "/_members")[1]["location"] == "/_members/"
    assert get(port, "/_members/2026/10/note")[1]["location"] == "/_members/2026/10/note/"


def test_a_file_path_with_a_trailing_slash_is_404(running) -> None:
    _, port, _ = running
    assert get(port, "/feed.xml/")[0] == 404


def test_the_event_stream_tells_pages_of_rebuilds_and_errors(running) -> None:
    preview, port, fake = running
    before = preview.status.build_id
    stream = EventStream(port)
    try:
        assert stream.next()["build"] == before
        fake.error = BAD_FRONT_MATTER
        preview.rebuild()
        assert {**stream.next(), "previous": "", "pages": None} == {
            "build": before, "error": BAD_FRONT_MATTER.report(), "previous": "", "pages": None}
        fake.error = None
        preview.rebuild()
        fixed = stream.next()
        assert fixed["build"] != before and fixed["error"] == ""
    finally:
        stream.close()


def test_the_error_shows_in_pages_served_while_broken(running) -> None:
    preview, port, fake = running
    fake.error = BAD_FRONT_MATTER
    preview.rebuild()
    status, _, page = get(port, "/2026/10/note/")
    assert status == 200 and b"Public note" in page  # the last good build
    assert b"content/posts/2026/free-note.md:3: tier must be" in page
    assert b'class="tsp-overlay" role="alert">' in page  # not hidden


# --- binding ----------------------------------------------------------------------------------------


def test_a_port_in_use_is_a_clear_message(tmp_path: Path, copy_site, capsys) -> None:
    site = copy_site("tiers")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SiteError) as caught:
            open_http_server("127.0.0.1", port)
        assert str(caught.value) == (
            f"--port: port {port} is already in use on 127.0.0.1\n"
            f"    stop the other server, or pick another port: tearsheet serve --port {port + 1}")
        assert main(["serve", str(site), "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: --port: port {port} is already in use") and "Traceback" not in err
    assert not (site / PREVIEW_DIR).exists()


def test_serving_a_folder_without_site_toml_fails_before_binding(tmp_path: Path, capsys) -> None:
    assert main(["serve", str(tmp_path), "--port", "0"]) == 1
    assert "no site.toml here" in capsys.readouterr().err


def test_an_ipv6_loopback_server_answers(preview_root: Path) -> None:
    try:
        httpd = PreviewHTTPServer(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    httpd.preview = PreviewServer(str(preview_root), FakeBuild())
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        with socket.create_connection(("::1", httpd.server_port), timeout=5) as sock:
            sock.sendall(f"GET / HTTP/1.1\r\nHost: [::1]:{httpd.server_port}\r\nConnection: close\r\n\r\n".encode())
            assert sock.recv(100).startswith(b"HTTP/1.1 200")
    finally:
        httpd.shutdown()
        httpd.server_close()


# --- the whole thing: real build, real watcher ---------------------------------------------------


def serve_in_background(site: Path) -> Iterator[tuple[Path, int, list[str]]]:
    """Run `serve` on a site in a thread, on a free port; stop it afterwards."""
    logged: list[str] = []
    ready: list[str] = []
    stop = threading.Event()
    options = ServeOptions(site_dir=str(site), port=0)
    thread = threading.Thread(target=serve, args=(options, logged.append),
                              kwargs={"ready": ready.append, "stop": stop}, daemon=True)
    thread.start()
    wait_for(lambda: bool(ready) or not thread.is_alive(), "the server to start")
    assert ready, "\n".join(logged)
    yield site, int(ready[0].rsplit(":", 1)[1]), logged
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()


@pytest.fixture
def served_site(copy_site) -> Iterator[tuple[Path, int, list[str]]]:
    yield from serve_in_background(copy_site("tiers"))


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_an_edit_rebuilds_into_the_preview_folder_and_never_touches_output(served_site) -> None:
    site, port, logged = served_site
    build(site)
    deploy = read_tree(site / "output")
    post = site / "content/posts/2026/free-note.md"
    post.write_text(post.read_text() + "\nzqfreshly-edited paragraph.\n")
    wait_for(lambda: b"zqfreshly-edited" in get(port, "/")[2] or any("Rebuilt" in m for m in logged), "a rebuild")
    wait_for(lambda: any("Rebuilt" in m and "free-note.md" in m for m in logged), "the rebuild message")
    assert read_tree(site / "output") == deploy
    assert any(b"zqfreshly-edited" in data for data in read_tree(site / PREVIEW_DIR / "public").values())


def test_a_broken_file_is_reported_like_build_and_fixing_it_clears_it(served_site, capsys) -> None:
    site, port, logged = served_site
    post = site / "content/posts/2026/free-note.md"
    good = post.read_text()
    post.write_text(good.replace("---\n", "---\ntier: premium\n", 1))
    wait_for(lambda: any(m.startswith("error: ") for m in logged), "the error")
    assert main(["build", str(site)]) == 1
    cli_error = capsys.readouterr().err.splitlines()
    served_error = next(m for m in logged if m.startswith("error: ")).splitlines()
    assert served_error[:2] == cli_error[:2]
    assert "content/posts/2026/free-note.md:2:" in served_error[0]
    assert first_event(port)["error"] in "\n".join(served_error)
    post.write_text(good)
    wait_for(lambda: first_event(port)["error"] == "", "the error to clear")


def test_the_preview_says_which_posts_it_left_out_and_what_it_warns_of(copy_site) -> None:
    site = copy_site("tiers")
    (site / "content/posts/2026/new-idea.md").write_text("---\ntitle: New idea\ndate: 2026-01-05\ndraft: true\n---\n\nHi.\n")
    for _, _, logged in serve_in_background(site):
        wait_for(lambda: any(m.startswith("Built in") for m in logged), "the first build")  # noqa: B023
        assert "Not built: 1 draft (draft: true; --drafts builds them)" in logged
        (site / "content/posts/2026/code.md").write_text("---\ntitle: Code\ndate: 2026-01-05\n---\n\n```\nx = 1\n")
        wait_for(lambda: any("never closed" in m for m in logged), "the warning")  # noqa: B023
        assert logged.count("Not built: 1 draft (draft: true; --drafts builds them)") == 2  # said again with it


def test_ctrl_c_stops_cleanly(copy_site) -> None:
    site = copy_site("tiers")
    process = subprocess.Popen([sys.executable, "-m", "tearsheet", "serve", str(site), "--port", "0"],
                               stderr=subprocess.PIPE, text=True, preexec_fn=ctrl_c_as_in_a_terminal)
    assert process.stderr is not None
    lines = []
    while not any("Press Ctrl-C" in line for line in lines):
        line = process.stderr.readline()
        assert line, "".join(lines)
        lines.append(line)
    process.send_signal(signal.SIGINT)
    _, rest = process.communicate(timeout=60)  # seconds when idle; a loaded CI runner takes longer
    assert process.returncode == 0
    assert "Stopped the preview server." in rest and "Traceback" not in rest


def test_a_non_local_host_is_warned_about(copy_site) -> None:
    site = copy_site("tiers")
    logged: list[str] = []
    stop = threading.Event()
    options = ServeOptions(site_dir=str(site), host="0.0.0.0", port=0)
    thread = threading.Thread(target=serve, args=(options, logged.append),
                              kwargs={"ready": lambda url: stop.set(), "stop": stop})
    thread.start()
    thread.join(timeout=20)
    assert any(m.startswith("warning: --host 0.0.0.0") for m in logged)


def test_a_site_under_a_path_with_a_members_address_previews(copy_site) -> None:
    site = copy_site("tiers")
    toml = site / "site.toml"
    lines = toml.read_text().splitlines()
    base = next(line for line in lines if line.startswith("base_url"))
    toml.write_text(toml.read_text().replace(base, 'base_url = "https://letter.example.com/blog"\n'
                                              'members_url = "https://members.example.com/blog"'))
    for _site, port, logged in serve_in_background(site):
        status, _headers, body = get(port, "/")
        assert status == 200 and b"Canary" in body, "\n".join(logged)
        status, _headers, body = get(port, "/_members/feeds/rss.xml")
        assert status == 200 and f"http://127.0.0.1:{port}/".encode() in body


def test_changed_pages_are_url_paths_as_served_and_anything_else_counts_for_all() -> None:
    from tearsheet.serve import changed_pages

    assert changed_pages(("public/2026/10/note/index.html", "members/2026/10/note/index.html", "public/index.html")) \
        == ("/", "/2026/10/note/", "/_members/2026/10/note/")
    assert changed_pages(("public/index.html", "public/assets/style.abc.css")) is None
    assert changed_pages(("public/404.html", "members/feeds/rss.xml")) == ("/404.html", "/_members/feeds/rss.xml")
    assert changed_pages(None) is None


def test_a_rebuild_that_changes_nothing_keeps_the_build(tmp_path: Path) -> None:
    from tearsheet.build import BuildResult

    results = [BuildResult("", 1, 0, 0, {}, 0.1, changed=("public/index.html",)), BuildResult("", 1, 0, 0, {}, 0.1)]
    preview = PreviewServer(str(tmp_path), lambda: results.pop(0))
    preview.rebuild()
    first = preview.status
    preview.rebuild()
    assert preview.status.build_id == first.build_id and preview.status.version == first.version + 1


def test_the_rebuild_line_names_the_files_saved_not_an_editors_temporary_ones(tmp_path: Path) -> None:
    from tearsheet.serve import _describe

    post = tmp_path / "content" / "posts" / "oil.md"
    post.parent.mkdir(parents=True)
    post.write_text("x")
    gone = tmp_path / "content" / "posts" / "sed3Bj2cp"  # sed -i writes one, then renames it over the post
    assert _describe({str(post), str(gone)}, str(tmp_path)) == "content/posts/oil.md"
    assert _describe({str(gone)}, str(tmp_path)) == "content/posts/sed3Bj2cp"  # a post deleted: still why
