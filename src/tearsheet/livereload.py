"""What the preview server adds to the HTML it serves: live reload, the error overlay, the tier switch.

None of this is ever written to the built site: it is added to responses, on the way out.
"""

from __future__ import annotations

import html
import json
import re

MEMBERS_PREFIX = "/_members"
EVENTS_PATH = "/_tearsheet/events"
WORKER_PATH = "/_tearsheet/reload-worker.js"

_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)
# Root-relative URLs in attributes; not protocol-relative ones (//cdn...) nor ours.
_ROOT_URL_ATTR = re.compile(rb"""(\s(?:href|src|action|poster)\s*=\s*["'])/(?![/]|_members/|_tearsheet/)""",
                            re.IGNORECASE)

_STYLE = """
#tearsheet-preview, #tearsheet-preview * { box-sizing: border-box; }
#tearsheet-preview .tsp-switch { position: fixed; right: 12px; bottom: 12px; z-index: 2147483646;
  display: flex; border-radius: 999px; overflow: hidden; box-shadow: 0 2px 10px rgba(0,0,0,.25);
  font: 600 12px/1 system-ui, sans-serif; background: #fff; border: 1px solid #bbb; }
#tearsheet-preview .tsp-switch a, #tearsheet-preview .tsp-switch span { padding: 7px 12px; color: #222;
  text-decoration: none; }
#tearsheet-preview .tsp-switch span { background: #222; color: #fff; }
body { padding-bottom: 48px; } /* room below the page's end: the switch covers none of it there */
@media (max-width: 480px) {  /* on a phone, a smaller switch that lets the text behind it show */
  #tearsheet-preview .tsp-switch { right: 8px; bottom: 8px; opacity: .85; font-size: 11px; }
  #tearsheet-preview .tsp-switch a, #tearsheet-preview .tsp-switch span { padding: 5px 9px; }
}
#tearsheet-preview .tsp-overlay { position: fixed; inset: 0 0 auto 0; z-index: 2147483647; max-height: 70vh;
  overflow: auto; margin: 0; padding: 16px 20px; background: #3b0d0c; color: #fff; border-bottom: 4px solid #e5484d;
  font: 14px/1.5 system-ui, sans-serif; }
#tearsheet-preview .tsp-overlay[hidden] { display: none; }
#tearsheet-preview .tsp-overlay pre { margin: 8px 0 0; white-space: pre-wrap;
  font: 13px/1.5 ui-monospace, SFMono-Regular, Menlo, monospace; }
"""

_SCRIPT = """
(function () {
  var root = document.getElementById("tearsheet-preview");
  var build = root.getAttribute("data-build");
  var overlay = root.querySelector(".tsp-overlay");
  var key = "tearsheet-preview-scroll:" + location.pathname;
  var here = root.getAttribute("data-page");
  var saved = sessionStorage.getItem(key);  // the scroll position to restore, until the page has loaded
  if (saved !== null) {
    sessionStorage.removeItem(key);
    // this script restores it: the browser's own restoring, on a page still laying out, can stop short
    if ("scrollRestoration" in history) history.scrollRestoration = "manual";
    window.addEventListener("load", function () {
      if (window.scrollY === 0) window.scrollTo(0, Number(saved));  // unless the reader scrolled meanwhile
      saved = null;
    });
  }
  var stop, reloading = false;
  function show(status) {
    if (reloading) return;
    if (status.build !== build && status.pages && status.previous === build
        && status.pages.indexOf(here) < 0) {
      build = status.build;  // this page is the same in the new build
    }
    if (status.build !== build) {
      reloading = true;
      stop();
      // a rebuild that lands before this page has loaded (and scrolled back) keeps the position it had
      sessionStorage.setItem(key, saved !== null ? saved : String(window.scrollY));
      location.reload();
      return;
    }
    overlay.querySelector("pre").textContent = status.error;
    overlay.hidden = !status.error;
  }
  if (window.SharedWorker) {
    // One event stream for every open tab: a browser gives a server only six connections.
    var port = new SharedWorker(WORKER, {name: "tearsheet-preview"}).port;
    port.onmessage = function (event) { show(JSON.parse(event.data)); };
    port.postMessage("hello");
    window.addEventListener("pageshow", function (event) { if (event.persisted) port.postMessage("hello"); });
    window.addEventListener("pagehide", function () { port.postMessage("bye"); });
    stop = function () { port.postMessage("bye"); };
  } else {
    var source = new EventSource(EVENTS);
    source.addEventListener("status", function (event) { show(JSON.parse(event.data)); });
    stop = function () { source.close(); };
  }
})();
"""

# The shared worker behind every open tab: it holds the one event stream and passes each status on.
WORKER_SCRIPT = """
var ports = [], last = null, source = null;
onconnect = function (event) {
  var port = event.ports[0];
  port.onmessage = function (message) {
    ports = ports.filter(function (p) { return p !== port; });
    if (message.data !== "hello") return;
    ports.push(port);
    if (last !== null) port.postMessage(last);
    if (source === null) {
      source = new EventSource(EVENTS);
      source.addEventListener("status", function (status) {
        last = status.data;
        ports.forEach(function (p) { p.postMessage(last); });
      });
    }
  };
};
""".replace("EVENTS", json.dumps(EVENTS_PATH)).encode()


def decorate(page: bytes, *, tier: str, url_path: str, build_id: str, error: str, not_found: bool = False) -> bytes:
    """Add the preview snippet to a served HTML page; members pages get their links kept in /_members/.

    `not_found`: the page is the site's 404 page (or ours), served for a URL the build has no file for.
    """
    if tier == "members":
        page = _ROOT_URL_ATTR.sub(rb"\1" + MEMBERS_PREFIX.encode() + b"/", page)
    shown = (MEMBERS_PREFIX if tier == "members" else "") + "/404.html" if not_found else url_path
    snippet = preview_snippet(tier=tier, url_path=url_path, build_id=build_id, error=error,
                              shown=shown.removesuffix("index.html")).encode()
    ends = list(_BODY_END.finditer(page))
    if not ends:
        return page + snippet
    at = ends[-1].start()
    return page[:at] + snippet + page[at:]


def preview_snippet(*, tier: str, url_path: str, build_id: str, error: str, shown: str) -> str:
    """The floating tier switch, the (hidden unless broken) error overlay and the live-reload script.

    `shown`: the URL path of the file the page shows, to tell whether a build changed it.
    """
    public_path = url_path.removeprefix(MEMBERS_PREFIX) if tier == "members" else url_path
    members_path = MEMBERS_PREFIX + public_path
    if tier == "members":
        switch = f'<a href="{html.escape(public_path)}">Public</a><span>Members</span>'
    else:
        switch = f'<span>Public</span><a href="{html.escape(members_path)}">Members</a>'
    hidden = "" if error else " hidden"
    script = _SCRIPT.replace("EVENTS", json.dumps(EVENTS_PATH)).replace("WORKER", json.dumps(WORKER_PATH))
    return (f'<div id="tearsheet-preview" data-build="{html.escape(build_id)}" '
            f'data-page="{html.escape(shown)}"><style>{_STYLE}</style>'
            f'<nav class="tsp-switch" aria-label="Preview tier">{switch}</nav>'
            f'<div class="tsp-overlay" role="alert"{hidden}><strong>tearsheet could not rebuild the site.</strong> '
            f"These pages are from the last good build; fix the file and this page reloads by itself."
            f"<pre>{html.escape(error)}</pre></div>"
            f"<script>{script}</script></div>")


def fallback_page(status: int, title: str) -> bytes:
    """A bare page for when the site has none of its own (no 404.html yet, or no good build)."""
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
            f"<body><h1>{status}</h1><p>{html.escape(title)}</p></body></html>").encode()


def status_event(build_id: str, error: str, previous: str = "", pages: tuple[str, ...] | None = None) -> bytes:
    """One Server-Sent Event telling pages which build is current and what, if anything, is wrong.

    A page from the `previous` build whose URL path is not in `pages` (the pages the current build
    changed; None: all) need not reload.
    """
    status = {"build": build_id, "error": error, "previous": previous, "pages": None if pages is None else list(pages)}
    return b"event: status\ndata: " + json.dumps(status).encode() + b"\n\n"
