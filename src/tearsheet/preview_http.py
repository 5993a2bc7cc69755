"""The preview server's HTTP side: serve the last good build of both tiers, safely, to this machine only."""

from __future__ import annotations

import email.utils
import hashlib
import ipaddress
import mimetypes
import os
import re
import socket
import socketserver
import sys
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import unquote

from .livereload import EVENTS_PATH, MEMBERS_PREFIX, WORKER_PATH, WORKER_SCRIPT, decorate, fallback_page, status_event

if TYPE_CHECKING:
    from .serve import PreviewServer

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8", ".json": "application/json", ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp", ".avif": "image/avif",
    ".ico": "image/x-icon", ".woff2": "font/woff2", ".woff": "font/woff", ".pdf": "application/pdf",
    ".webmanifest": "application/manifest+json",
}
KEEPALIVE_SECONDS = 15.0
# RFC 9110 `uri-host [":" port]`, the forms a browser sends: no user info, no path, no spaces.
_HOST_PORT = re.compile(r"(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9._-]+))(?::(?P<port>[0-9]{0,5}))?")


@dataclass(frozen=True, slots=True)
class Found:
    path: str  # a regular file inside the tier's root


@dataclass(frozen=True, slots=True)
class Redirect:
    location: str


Located = Found | Redirect | None


class PreviewHTTPServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that knows its PreviewServer and which Host names it answers to."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_port = False  # never share the port with another server

    preview: PreviewServer  # set once bound, before serving

    def __init__(self, address: tuple[str, int]) -> None:
        self.given_host = address[0]
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, PreviewHandler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse-DNS lookup of our own address (slow or hanging offline)."""
        if self.address_family == socket.AF_INET6:  # "::" means IPv6 only unless told otherwise
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])

    @property
    def bound_host(self) -> str:
        return str(self.server_address[0])

    def handle_error(self, request: object, client_address: object) -> None:
        """A tab that goes away mid-response is normal (a reload cancels its requests); anything else is a bug."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


def host_allowed(header: str | None, bound_host: str, given_host: str = "") -> bool:
    """Refuse Host names other than this machine's (a DNS-rebinding page would send its own).

    `given_host` is the --host as typed, when it is a name: the socket knows only its address.
    """
    name = _host_name(header or "")
    if name is None:
        return False
    if name in LOCAL_HOSTS or name in (bound_host.lower(), given_host.lower()):
        return True
    # Bound to every interface, the machine's own IP addresses are fine; a name still is not.
    return bound_host in WILDCARD_HOSTS and _is_ip(name)


def origin_allowed(header: str | None, bound_host: str, port: int, given_host: str = "") -> bool:
    """Same-origin EventSource requests send no Origin; a cross-site one must be this server's own origin."""
    if header is None:
        return True
    scheme, _, authority = header.partition("://")
    match = _HOST_PORT.fullmatch(authority)
    return (scheme == "http" and match is not None and int(match["port"] or 80) == port
            and host_allowed(authority, bound_host, given_host))


def _host_name(header: str) -> str | None:
    """The host of a `host[:port]` header value, lower case, without a trailing dot; None if malformed."""
    match = _HOST_PORT.fullmatch(header)
    if match is None:
        return None
    return (match["ipv6"] or match["name"]).lower().rstrip(".")


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def split_tier(url_path: str) -> tuple[str, str]:
    """'/_members/x/' -> ('members', '/x/'); anything else is the public tier."""
    if url_path == MEMBERS_PREFIX or url_path.startswith(MEMBERS_PREFIX + "/"):
        return "members", url_path[len(MEMBERS_PREFIX):]
    return "public", url_path


def locate(root: str, raw_path: str) -> Located:
    """Map a raw (still %-encoded) URL path to a file under root, or None; never a file outside it."""
    if not raw_path.startswith("/"):
        return None
    decoded = _decoded(raw_path)
    if decoded is None or "\\" in decoded or any(ord(ch) < 32 for ch in decoded):
        return None
    segments = decoded.split("/")[1:]
    trailing_slash = segments[-1] == ""
    if trailing_slash:
        segments.pop()
    if any(not s or s.startswith(".") for s in segments):  # '..', '.', hidden files, '//'
        return None
    target = os.path.join(root, *segments)
    if os.path.isdir(target):
        if not trailing_slash:
            return Redirect(raw_path + "/")
        target = os.path.join(target, "index.html")
    elif trailing_slash:
        return None
    return Found(target) if os.path.isfile(target) and _inside(target, root) else None


def _decoded(raw: str) -> str | None:
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError:
        return None


def _inside(path: str, root: str) -> bool:
    real, base = os.path.realpath(path), os.path.realpath(root)
    return real.startswith(base + os.sep)


def content_type(path: str) -> str:
    ext = os.path.splitext(path)[1].lower()
    return CONTENT_TYPES.get(ext) or mimetypes.guess_type(path)[0] or "application/octet-stream"


class PreviewHandler(BaseHTTPRequestHandler):
    """GET and HEAD for files of the last good build, plus the live-reload event stream."""

    server: PreviewHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "tearsheet-preview"

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: the terminal is for build results and errors."""

    def _respond(self, send_body: bool) -> None:
        hosts = self.headers.get_all("Host") or []
        if len(hosts) != 1 or not host_allowed(hosts[0], self.server.bound_host, self.server.given_host):
            self._plain(400, "Bad Host header: this preview server answers to localhost only.\n", send_body)
            return
        url_path, _, query = self.path.partition("?")
        url_path = url_path.partition("#")[0]
        if url_path == EVENTS_PATH:
            self._events(send_body)
            return
        if url_path == WORKER_PATH:
            self._send(200, CONTENT_TYPES[".js"], WORKER_SCRIPT, send_body, None)
            return
        tier, inner = split_tier(url_path)
        located = Redirect("/") if tier == "members" and not inner else self._locate(tier, inner)
        if isinstance(located, Redirect):
            location = (MEMBERS_PREFIX if tier == "members" else "") + located.location
            self._redirect(location + (f"?{query}" if query else ""), send_body)
        elif located is None:
            self._not_found(tier, url_path, send_body)
        else:
            self._file(located.path, tier, url_path, send_body)

    def _locate(self, tier: str, raw_path: str) -> Located:
        """Look the path up; wait out the instant in which a finishing build swaps its trees in."""
        root = self.server.preview.tier_root(tier)
        located = locate(root, raw_path)
        for _ in range(200):
            if located is not None or os.path.isdir(root) or not self.server.preview.building:
                break
            time.sleep(0.01)
            located = locate(root, raw_path)
        return located

    def _file(self, path: str, tier: str, url_path: str, send_body: bool, status: int = 200) -> None:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
                modified = os.fstat(handle.fileno()).st_mtime
        except OSError:
            if status == 404:
                self._fallback_not_found(tier, url_path, send_body)
            else:
                self._not_found(tier, url_path, send_body)
            return
        kind = content_type(path)
        if kind.startswith("text/html"):
            current = self.server.preview.status
            data = decorate(data, tier=tier, url_path=url_path, build_id=current.build_id, error=current.error,
                            not_found=status == 404)
            modified = max(modified, current.built_at)  # the snippet changes with every build
        self._send(status, kind, data, send_body, modified)

    def _not_found(self, tier: str, url_path: str, send_body: bool) -> None:
        page = os.path.join(self.server.preview.tier_root(tier), "404.html")
        if os.path.isfile(page):
            self._file(page, tier, url_path, send_body, status=404)
        else:
            self._fallback_not_found(tier, url_path, send_body)

    def _fallback_not_found(self, tier: str, url_path: str, send_body: bool) -> None:
        current = self.server.preview.status
        data = decorate(fallback_page(404, "Not found"), tier=tier, url_path=url_path,
                        build_id=current.build_id, error=current.error, not_found=True)
        self._send(404, CONTENT_TYPES[".html"], data, send_body, None)

    def _send(self, status: int, kind: str, data: bytes, send_body: bool, modified: float | None) -> None:
        etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
        if status == 200 and self._not_modified(etag, modified):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            return
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("ETag", etag)
        if modified is not None:
            self.send_header("Last-Modified", email.utils.formatdate(modified, usegmt=True))
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if send_body:
            self.wfile.write(data)

    def _not_modified(self, etag: str, modified: float | None) -> bool:
        """If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)."""
        match = self.headers.get("If-None-Match")
        if match is not None:
            tags = {t.strip().removeprefix("W/") for t in match.split(",")}
            return "*" in tags or etag in tags
        since = self.headers.get("If-Modified-Since")
        if since is None or modified is None:
            return False
        try:
            when = email.utils.parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
        return int(modified) <= when

    def _redirect(self, location: str, send_body: bool) -> None:
        body = b"Moved\n"
        self.send_response(302)  # not 301: a browser would remember it after the preview changes
        self.send_header("Location", location)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _plain(self, status: int, text: str, send_body: bool) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.close_connection = True
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _events(self, send_body: bool) -> None:
        """Server-Sent Events: the current build and error now, then whenever they change."""
        server = self.server
        if not origin_allowed(self.headers.get("Origin"), server.bound_host, server.server_port, server.given_host):
            self._plain(403, "Cross-origin live-reload requests are refused.\n", send_body)
            return
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        if send_body:
            self._stream_events()

    def _stream_events(self) -> None:
        preview = self.server.preview
        seen = -1
        try:
            self.wfile.write(b"retry: 500\n\n")
            while (current := preview.wait_for_change(seen, KEEPALIVE_SECONDS)) is not None:
                if current.version == seen:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    self.wfile.write(status_event(current.build_id, current.error, current.previous, current.pages))
                    seen = current.version
                self.wfile.flush()
        except OSError:  # the tab went away
            pass
