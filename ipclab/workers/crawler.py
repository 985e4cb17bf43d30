"""The example workers of chapter 08, part 2: the source's crawler, offline.

The source fetched a public movie board ten pages at a time and parsed it
with a regular expression.  A course run by CI cannot depend on somebody
else's web site, so :class:`BoardServer` serves pages of the same shape from
this process, on 127.0.0.1, each after a set delay (the network's and the
remote server's time, which is what a crawler spends most of its life
waiting for).  One path never answers, one is missing, and one serves the
same board after a "redesign" that a regular expression does not survive.

Pages are fetched in pool workers (:func:`fetch_page`) and parsed in the
parent, in the pool's callback (:func:`crawl`), as the chapter explains.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import select
import socket
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

PAGE_SIZE = 10  # movies per board page, as on the source's board
TITLES = ["The Steamed Bun", "Night Kitchen", "A Queue in Winter", "Two Pipes", "The Last Sentinel",
          "Forked Paths", "Spawn of the Morning", "Shared Memory", "Lost Update", "The Pool Keeper",
          "Daemon Days", "Joinable", "The Feeder Thread", "Broken Pipe", "Zombie Summer"]


class PageError(Exception):
    """A page that could not be fetched: no answer in time, an HTTP error, a refused connection."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url, reason)
        self.url = url
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.url}: {self.reason}"


def movie(rank: int) -> dict[str, str]:
    """The made-up movie at ``rank`` on the board (the same every time)."""
    title = f"{TITLES[(rank * 7) % len(TITLES)]} {rank // len(TITLES) + 1}"
    score = 9.7 - (rank % 40) * 0.1
    return {"rank": str(rank), "title": title, "image": f"/posters/{rank}.jpg",
            "stars": f"Starring: Cook {rank % 9 + 1}, Diner {rank % 5 + 1}",
            "released": f"Released: {1990 + rank % 30}-0{rank % 9 + 1}-1{rank % 9}", "score": f"{score:.1f}"}


def board_page(offset: int, redesigned: bool = False) -> str:
    """The HTML of one board page: movies ``offset + 1`` to ``offset + PAGE_SIZE``.

    ``redesigned`` is the same page after a small change of markup (a class on
    ``<dd>``, attributes in another order, a line break in a title): nothing a
    browser or an HTML parser cares about.
    """
    items = []
    for rank in range(offset + 1, offset + PAGE_SIZE + 1):
        m = movie(rank)
        whole, fraction = m["score"].split(".")
        dd = '<dd class="board-item">' if redesigned else "<dd>"
        img = (f'<img class="board-img" alt="{m["title"]}" data-src="{m["image"]}" />' if redesigned
               else f'<img data-src="{m["image"]}" alt="{m["title"]}" class="board-img" />')
        name = m["title"].replace(" ", "\n", 1) if redesigned else m["title"]
        items.append(
            f'{dd}\n  <i class="board-index board-index-{rank}">{rank}</i>\n'
            f'  <a href="/films/{rank}" title="{m["title"]}" class="image-link">{img}</a>\n'
            f'  <div class="movie-item-info">\n'
            f'    <p class="name"><a href="/films/{rank}" title="{m["title"]}">{name}</a></p>\n'
            f'    <p class="star">{m["stars"]}</p>\n'
            f'    <p class="releasetime">{m["released"]}</p>\n'
            f'  </div>\n'
            f'  <p class="score"><i class="integer">{whole}.</i><i class="fraction">{fraction}</i></p>\n'
            f'</dd>')
    return ('<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Top movies</title></head>\n'
            '<body><dl class="board-wrapper">\n' + "\n".join(items) + "\n</dl></body></html>\n")


class BoardServer:
    """A local HTTP server for the crawler: 127.0.0.1, an ephemeral port, a thread per request.

    Paths: ``/board?offset=N`` (a page, after ``delay`` seconds; ``&layout=new``
    for the redesigned markup), ``/hang`` (never answers: it waits until the
    client gives up or the server stops) and anything else (404).  It records
    each request, how many were served at once (``/hang`` aside), and whether clients of
    ``/hang`` gave up.  Use it in a ``with`` block: it stops when the block ends.
    """

    def __init__(self, delay: float = 0.2) -> None:
        self.delay = delay
        self.requests: list[tuple[str, float, float]] = []  # (path, start, end) in perf_counter seconds
        self.in_flight = 0
        self.most_in_flight = 0
        self.abandoned = 0  # /hang requests whose client closed the connection
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def board_urls(self, pages: int) -> list[str]:
        """The URLs of the first ``pages`` board pages."""
        return [f"{self.url}/board?offset={i * PAGE_SIZE}" for i in range(pages)]

    def __enter__(self) -> BoardServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
                server._serve(self)

            def log_message(self, *args: object) -> None:  # keep the notebook quiet
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="board-server", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()  # wakes every /hang handler
        self._httpd.shutdown()
        self._httpd.server_close()  # joins the request threads
        self._thread.join(5)

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        start = time.perf_counter()
        parts = urlsplit(handler.path)
        counted = parts.path != "/hang"  # a /hang request is never served: it does not count as one in flight
        with self._lock:
            self.in_flight += counted
            self.most_in_flight = max(self.most_in_flight, self.in_flight)

        def served() -> None:
            """Stop counting this request, before its answer goes out: the client may ask again at once."""
            nonlocal counted
            with self._lock:
                self.in_flight -= counted
            counted = False

        try:
            query = parse_qs(parts.query)
            if parts.path == "/hang":
                if self._wait_for_client_to_leave(handler.connection):
                    with self._lock:
                        self.abandoned += 1
                return
            if parts.path == "/board" and query.get("offset", [""])[0].isdigit():
                time.sleep(self.delay)
                body = board_page(int(query["offset"][0]), query.get("layout") == ["new"]).encode()
                status = 200
            else:
                body, status = b"no such page", 404
            served()
            handler.send_response(status)
            if status == 200:
                handler.send_header("Content-Type", "text/html; charset=utf-8")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except OSError:  # the client went away mid-answer
            pass
        finally:
            served()
            with self._lock:
                self.requests.append((handler.path, start, time.perf_counter()))

    def _wait_for_client_to_leave(self, conn: socket.socket) -> bool:
        """Answer nothing; True once the client closes its end, False if the server stops first."""
        while not self._stopping.is_set():
            readable, _, _ = select.select([conn], [], [], 0.05)
            if readable and not conn.recv(1, socket.MSG_PEEK):
                return True
        return False


@dataclass
class Page:
    """A fetched page and where and when it was fetched (perf_counter seconds)."""

    url: str
    html: str
    pid: int
    start: float
    end: float


def fetch_page(url: str, timeout: float | None = None) -> Page:
    """Runs in a pool worker: GET ``url``; raise :class:`PageError` unless it answers 200 within ``timeout`` s.

    ``timeout=None`` waits forever, like ``urlopen`` without one: a page that
    never answers then holds this worker for good.
    """
    start = time.perf_counter()
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        response = conn.getresponse()
        body = response.read().decode()
    except TimeoutError:
        raise PageError(url, f"no answer within {timeout:g} s") from None
    except OSError as exc:
        raise PageError(url, f"{type(exc).__name__}: {exc}") from None
    finally:
        conn.close()
    if response.status != 200:
        raise PageError(url, f"HTTP {response.status} {response.reason}")
    return Page(url, body, os.getpid(), start, time.perf_counter())


BOARD_ITEM = re.compile(
    r'<dd>.*?board-index.*?>(\d+)</i>.*?data-src="(.*?)".*?class="name"><a.*?>(.*?)</a>'
    r'.*?class="star">(.*?)</p>.*?class="releasetime">(.*?)</p>'
    r'.*?class="integer">(.*?)</i>.*?class="fraction">(.*?)</i>.*?</dd>',
    re.S,
)
FIELDS = ("rank", "image", "title", "stars", "released")


def parse_with_regex(html: str) -> list[dict[str, str]]:
    """The source's way: one regular expression over the page's text."""
    return [dict(zip(FIELDS, found[:5]), score=found[5] + found[6]) for found in BOARD_ITEM.findall(html)]


class _BoardParser(HTMLParser):
    """Collects the movies of a board page from its elements and classes, whatever the formatting."""

    KEYS = {"board-index": "rank", "name": "title", "star": "stars", "releasetime": "released",
            "integer": "score", "fraction": "score"}

    def __init__(self) -> None:
        super().__init__()
        self.movies: list[dict[str, str]] = []
        self._key: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag == "dd":
            self.movies.append({"rank": "", "image": "", "title": "", "stars": "", "released": "", "score": ""})
        elif self.movies and tag == "img" and "board-img" in classes:
            self.movies[-1]["image"] = attributes.get("data-src") or ""
        elif self.movies:
            self._key = next((self.KEYS[c] for c in classes if c in self.KEYS), self._key)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("i", "p"):
            self._key = None

    def handle_data(self, data: str) -> None:
        if self.movies and self._key:
            self.movies[-1][self._key] += data


def parse_with_parser(html: str) -> list[dict[str, str]]:
    """The sturdier way: an HTML parser that finds the fields by element and class, not by exact text."""
    parser = _BoardParser()
    parser.feed(html)
    parser.close()
    return [{key: " ".join(text.split()) for key, text in m.items()} for m in parser.movies]


@dataclass
class Crawl:
    """What a crawl found: movies (parsed in this process), pages fetched, failures, and how long it took."""

    movies: list[dict[str, str]] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0


def crawl(pool, urls: list[str], timeout: float, out: Path, parse=parse_with_regex) -> Crawl:
    """Fetch ``urls`` on ``pool`` with ``apply_async``; parse each page in the callback and append its movies to ``out``.

    The callbacks run here, in the pool's result thread, one at a time: the
    list and the file need no lock.  A page that fails (``error_callback``)
    is noted by its URL.  Each result is waited for with a deadline, so the
    crawl ends even if a page never answers -- ``timeout`` makes sure it does.
    """
    found = Crawl()

    def parsed(page: Page) -> None:
        movies = parse(page.html)
        with out.open("a", encoding="utf-8") as f:
            f.writelines(json.dumps(m, ensure_ascii=False) + "\n" for m in movies)
        found.movies.extend(movies)
        found.pages.append(page)

    def failed(exc: BaseException) -> None:
        found.failed.append(exc.url if isinstance(exc, PageError) else repr(exc))

    t0 = time.perf_counter()
    pending = [pool.apply_async(fetch_page, (url, timeout), callback=parsed, error_callback=failed) for url in urls]
    for result in pending:
        result.wait(timeout + 5)
    found.seconds = time.perf_counter() - t0
    return found


def crawl_serially(urls: list[str], timeout: float) -> Crawl:
    """The same crawl in this process, one page after another: the baseline for the speedup."""
    found = Crawl()
    t0 = time.perf_counter()
    for url in urls:
        try:
            page = fetch_page(url, timeout)
        except PageError as exc:
            found.failed.append(exc.url)
            continue
        found.pages.append(page)
        found.movies.extend(parse_with_regex(page.html))
    found.seconds = time.perf_counter() - t0
    return found
