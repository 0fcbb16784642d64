"""A threaded HTTP server on 127.0.0.1 serving a :class:`~itp6crawl.replica.site.Site`.

Answers GET and HEAD with the site's current state, conditional GET (If-None-Match, If-Modified-Since)
with 304, and records every request. Whole responses (a maintenance page served with 200 at an article
URL, say), faults (a bare status) and a fixed delay can be injected for crawler tests.
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import struct
import threading
import time
import traceback
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from . import rest
from .profiles import FRIENDLY, Profile, get_profile
from .site import Response, Site, article_id


class _Injection:
    """One injected response and how many more requests it answers (None: until cleared)."""

    __slots__ = ("remaining", "response")

    def __init__(self, response: Response | TransportFault, remaining: int | None) -> None:
        self.response = response
        self.remaining = remaining


TRANSPORT_FAULTS = ("reset", "hang", "truncate", "slow")
INCOMPLETE_PAGES = ("cut", "cut-character", "cut-before-end", "gzip-cut", "fatal-error")
# What WordPress prints when PHP dies after the theme began the page (wp_die from its fatal error handler).
WORDPRESS_FATAL_ERROR_PAGE = (
    "<!DOCTYPE html>\n<html dir='ltr' lang='zh-Hans'>\n<head>\n"
    '<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />\n'
    '<title>WordPress &rsaquo; 错误</title>\n</head>\n<body id="error-page">\n'
    '<div class="wp-die-message"><p>此网站遇到了致命错误。</p></div></body>\n</html>\n'
).encode()


class TransportFault:
    """A fault below HTTP: ``reset`` closes the connection with a TCP reset before any response; ``hang``
    reads the request and says nothing for ``seconds`` (a timeout for the client), then closes;
    ``truncate`` sends the page's headers, with its full Content-Length, and half its body, then closes;
    ``slow`` answers normally after ``seconds``."""

    __slots__ = ("kind", "seconds")

    def __init__(self, kind: str, seconds: float) -> None:
        if kind not in TRANSPORT_FAULTS:
            raise ValueError(f"transport fault must be one of {', '.join(TRANSPORT_FAULTS)}, not {kind!r}")
        self.kind = kind
        self.seconds = seconds


def not_modified(request_headers: dict[str, str], response_headers: dict[str, str]) -> bool:
    """True when a conditional request matches the response's validators (RFC 9110: INM wins over IMS).

    Header names are expected in title case (``If-None-Match``)."""
    etag = response_headers.get("ETag")
    if_none_match = request_headers.get("If-None-Match")
    if if_none_match is not None:
        if etag is None:
            return False
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or etag.removeprefix("W/") in tags
    since, last_modified = request_headers.get("If-Modified-Since"), response_headers.get("Last-Modified")
    if since is None or last_modified is None:
        return False
    try:
        return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


def _take(queue: dict[str, list[_Injection]], path: str) -> Response | TransportFault | None:
    """The first pending injection of ``path`` (counting it down), or None; the caller holds the lock."""
    pending = queue.get(path)
    if not pending:
        return None
    first = pending[0]
    if first.remaining is not None:
        first.remaining -= 1
        if first.remaining <= 0:
            pending.pop(0)
    if not pending:
        del queue[path]
    return first.response


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    replica: ReplicaServer  # set on the subclass made per server

    def version_string(self) -> str:
        return "nginx"

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        replica = self.replica
        if replica.delay:
            time.sleep(replica.delay)
        fault = replica.take_transport_fault(self.path)
        if fault is not None and fault.kind != "truncate":
            replica.log(self.command, self.path, 0)
            if fault.kind == "slow":
                time.sleep(fault.seconds)
            else:
                self._drop(fault)
                return
        try:
            if self.command == "GET":
                replica.count_view(self.path)
            status, headers, body = replica.respond(self.path, {k.title(): v for k, v in self.headers.items()})
        except Exception:  # a replica bug: show it, answer 500
            traceback.print_exc()
            status, headers, body = 500, {"Content-Type": "text/plain; charset=utf-8"}, b"replica error\n"
        replica.log(self.command, self.path, status)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and status != 304:
            if fault is not None and fault.kind == "truncate":  # half the promised body, then the end
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self._drop(fault)
                return
            self.wfile.write(body)

    def _drop(self, fault: TransportFault) -> None:
        """End the connection as ``fault`` says: a reset at once, or silence for its seconds first."""
        if fault.kind == "hang":
            time.sleep(fault.seconds)
        elif fault.kind == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        with contextlib.suppress(OSError):
            if fault.kind != "reset":
                self.connection.shutdown(socket.SHUT_RDWR)
            self.connection.close()

    def log_message(self, format: str, *args: object) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A client that went away (a crawler killed mid-request in a test) is not worth a traceback."""
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class ReplicaServer:
    """``with ReplicaServer(site) as server:`` serves ``site`` at ``server.base_url`` from a daemon thread.

    ``profile`` (a name in :data:`~itp6crawl.replica.profiles.PROFILES` or a Profile) sets the server's
    manners: validators on HTML, sitemap lastmod, the view counter, the REST API; "friendly" by default."""

    def __init__(
        self,
        site: Site,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        delay: float = 0.0,
        profile: str | Profile = "friendly",
    ) -> None:
        self.site = site
        self.delay = delay
        self.profile: Profile = get_profile(profile)
        self.request_log: list[tuple[str, str, int]] = []
        self._log_lock = threading.Lock()
        self._injections: dict[str, list[_Injection]] = {}
        self._transport: dict[str, list[_Injection]] = {}
        handler = type("ReplicaHandler", (_Handler,), {"replica": self})
        self.httpd = _QuietServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.host, self.port = self.httpd.server_address[:2]
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def count_view(self, path: str) -> bool:
        """With the profile's view counter, a GET of an article page (none injected) counts one view before the
        page is rendered, as the theme's counter does; True when it counted."""
        if not self.profile.view_counter or (post_id := article_id(path)) is None:
            return False
        with self._log_lock:
            if self._injections.get(path):
                return False
        return self.site.count_view(post_id)

    def respond(self, path: str, request_headers: dict[str, str]) -> Response:
        """The response to a GET of ``path``: an injected response if one is pending (sent as is, no 304),
        else the site's as the profile serves it, with conditional headers applied."""
        injected = self._take_injection(path)
        if injected is not None:
            return injected
        if self.profile.rest_api and path.startswith("/wp-json"):  # the REST API, when the profile has one
            route, _, query = path.partition("?")
            with self.site.lock:
                return rest.answer(self.site, route, query, self.base_url)
        if self.profile == FRIENDLY:  # the two-argument call tests wrap (site.render = faulty_render)
            status, headers, body = self.site.render(path, self.base_url)
        else:
            status, headers, body = self.site.render(path, self.base_url, self.profile)
        if status == 200 and not_modified(request_headers, headers):
            keep = {k: v for k, v in headers.items() if k in ("ETag", "Last-Modified")}
            return 304, keep, b""
        return status, headers, body

    def _take_injection(self, path: str) -> Response | None:
        with self._log_lock:
            taken = _take(self._injections, path)
        if taken is None:
            return None
        status, headers, body = taken  # type: ignore[misc]
        return status, dict(headers), body

    def inject_response(
        self,
        path: str,
        status: int = 200,
        body: bytes = b"",
        content_type: str = "text/html; charset=utf-8",
        times: int | None = 1,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next ``times`` requests of ``path`` (as requested, query included; GET or HEAD) with
        exactly this response: ``status``, ``Content-Type: content_type`` plus ``headers`` (which may
        override it), and ``body``. No ETag or Last-Modified unless given, and never a 304. ``times=None``
        answers every request until :meth:`clear_injections`. Injections of one path queue up in order
        (one with ``times=None`` stays at the front)."""
        if times is not None and times < 1:
            return
        response_headers = {"Content-Type": content_type, **(headers or {})}
        with self._log_lock:
            self._injections.setdefault(path, []).append(_Injection((status, response_headers, body), times))

    def inject_transport_fault(self, path: str, kind: str, times: int | None = 1, seconds: float = 0.0) -> None:
        """Fail the next ``times`` requests of ``path`` below HTTP (:class:`TransportFault`: ``reset``,
        ``hang``, ``truncate``, ``slow``). Logged with status 0 (``truncate`` with the page's status)."""
        if times is not None and times < 1:
            return
        with self._log_lock:
            self._transport.setdefault(path, []).append(_Injection(TransportFault(kind, seconds), times))

    def take_transport_fault(self, path: str) -> TransportFault | None:
        with self._log_lock:
            return _take(self._transport, path)  # type: ignore[return-value]

    def inject_fault(self, path: str, status: int = 503, times: int | None = 1) -> None:
        """Answer the next ``times`` requests of ``path`` (as requested, query included) with ``status``
        and a short plain-text body."""
        body = f"injected {status}\n".encode()
        self.inject_response(path, status, body, "text/plain; charset=utf-8", times)

    def inject_charset_fault(
        self, path: str, encoding: str, *, header_charset: str | None, meta_charset: str | None
    ) -> None:
        """Serve the article at ``path`` encoded in ``encoding`` while the ``Content-Type`` header claims
        ``header_charset`` and ``<meta charset>`` claims ``meta_charset`` (``None``: not declared there),
        as misconfigured servers and copied templates do, until :meth:`clear_injections`."""
        status, _, body = self.site.render(path, self.base_url)
        meta = f'<meta charset="{meta_charset}">' if meta_charset else ""
        page = body.decode("utf-8").replace('<meta charset="UTF-8">', meta, 1)
        content_type = f"text/html; charset={header_charset}" if header_charset else "text/html"
        self.inject_response(path, status, page.encode(encoding), content_type, times=None)

    def inject_oversized_page(self, path: str, size: int) -> None:
        """Serve the article at ``path`` grown to ``size`` bytes by an inline ``data:`` image in its content
        (what a pasted screenshot does to a WordPress post), until :meth:`clear_injections`."""
        status, headers, body = self.site.render(path, self.base_url)
        marker = b'<div class="entry-content'
        start = body.index(marker)
        start = body.index(b">", start) + 1
        padding = size - len(body) - len(b'<p><img src="data:image/png;base64,"></p>')
        image = b'<p><img src="data:image/png;base64,' + b"A" * max(padding, 0) + b'"></p>'
        self.inject_response(path, status, body[:start] + image + body[start:], headers["Content-Type"], times=None)

    def inject_incomplete_page(self, path: str, kind: str, times: int | None = 1) -> None:
        """Serve the article at ``path`` cut short in a way the transport does not notice, as real servers
        do (:data:`INCOMPLETE_PAGES`), for the next ``times`` requests. Each answer carries a
        Content-Length that matches what it sends."""
        status, headers, body = self.site.render(path, self.base_url)
        content = body.index(b'<div class="entry-content')
        middle = content + (body.index(b"</article>", content) - content) // 2
        extra: dict[str, str] = {}
        if kind == "cut":  # a PHP worker killed mid-render: the page stops inside the article
            page = body[:middle]
        elif kind == "cut-character":  # ...inside a Chinese character, whose decoding ends in U+FFFD
            start = body.index("。".encode(), middle)
            page = body[: start + 1]
        elif kind == "cut-before-end":  # everything but the closing </body></html>
            page = body[: body.rindex(b"</body>")]
        elif kind == "gzip-cut":  # a gzip stream stopped halfway (gunzip gives back what it could)
            page = gzip.compress(body)
            page = page[: len(page) // 2]
            extra["Content-Encoding"] = "gzip"
        elif kind == "fatal-error":  # a PHP fatal error mid-page: WordPress appends its own error page
            page = body[:middle] + WORDPRESS_FATAL_ERROR_PAGE
        else:
            raise ValueError(f"incomplete page kind must be one of {', '.join(INCOMPLETE_PAGES)}, not {kind!r}")
        self.inject_response(path, status, page, headers["Content-Type"], times=times, headers=extra)

    def clear_injections(self, path: str | None = None) -> None:
        """Drop the pending injected responses and faults of ``path``, or of every path."""
        with self._log_lock:
            for queue in (self._injections, self._transport):
                if path is None:
                    queue.clear()
                else:
                    queue.pop(path, None)

    def log(self, method: str, path: str, status: int) -> None:
        with self._log_lock:
            self.request_log.append((method, path, status))

    def start(self) -> ReplicaServer:
        if self._thread is None:
            self._thread = threading.Thread(target=self.httpd.serve_forever, name="replica-server", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join()
            self._thread = None
        self.httpd.server_close()

    def __enter__(self) -> ReplicaServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
