"""Checks for lab 08 (a pool at work): fetch with a timeout, crawl on a pool with callbacks.

Each check starts its own :class:`~ipclab.workers.crawler.BoardServer` on
127.0.0.1, in the sandboxed check process.  One of its pages, ``/hang``,
never answers; the server notes how many requests it served at once and
whether a client gave up on ``/hang``, so "no timeout" and "one page at a
time" are named from what the server saw, on every run.
"""

from __future__ import annotations

import os
from types import ModuleType

from ipclab.checks import Exercise, PoolsMade, Wrong, call_with_deadline, stop_children
from ipclab.workers import crawler

PAGES = 8
DELAY = 0.3  # seconds per page: long enough that pages fetched at once overlap at the server
TIMEOUT = 0.5  # what the check passes as `timeout`
DEADLINE = 4.5  # a crawl with timeouts takes ~1.5 s here


def _local_only() -> None:
    """Talk to 127.0.0.1 directly, even where a proxy is configured (urllib reads *_proxy from the environment)."""
    os.environ["no_proxy"] = os.environ["NO_PROXY"] = "127.0.0.1,localhost"


def check_fetch(answer: ModuleType) -> None:
    """A page comes back as text; a 404 and a page that never answers raise, the latter within the timeout.

    Verifies, against the check's own local server: a page is returned as text (not bytes);
    a 404 raises (an error page is not a page); a page that never answers raises within the
    timeout passed (the timeout reaches the connection) and is not swallowed; an exception on a
    page that was there is named with its type and message.
    """
    _local_only()
    with crawler.BoardServer(delay=0.02) as server:
        url = server.board_urls(1)[0]
        page = call_with_deadline(answer.fetch, url, 2.0, timeout=5)
        if page.error is not None:
            raise Wrong(f"fetch({url!r}, 2.0) raised {type(page.error).__name__}: {page.error}; the page was there.")
        if isinstance(page.value, bytes):
            raise Wrong("fetch() returned bytes: decode the page's body to text (`.decode()`).")
        if not isinstance(page.value, str) or "board-index" not in page.value:
            raise Wrong(f"fetch() should return the page's HTML as text; it returned {str(page.value)[:80]!r}.")
        missing = call_with_deadline(answer.fetch, f"{server.url}/missing", 2.0, timeout=5)
        if missing.error is None:
            raise Wrong(f"fetch() returned {str(missing.value)[:40]!r} for a page that answered 404 Not Found: raise "
                        "an exception on an HTTP error, so that a crawler does not parse an error page as a page.")
        hanging = call_with_deadline(answer.fetch, f"{server.url}/hang", TIMEOUT, timeout=TIMEOUT + 2.5)
        finished = hanging.finished  # now: the server's stop ends the wait of a fetch without a timeout
    if not finished:
        raise Wrong(f"fetch(url, timeout={TIMEOUT}) was still waiting after {hanging.seconds:.1f} s for a page that "
                    "never answers: pass the timeout on to the connection (urlopen(url, timeout=timeout)).")
    if hanging.error is None:
        raise Wrong(f"fetch() returned {hanging.value!r} for a page that never answered: let the exception rise, "
                    "so that the pool's error_callback hears of the failure and the crawler can report the page.")


def check_crawl(answer: ModuleType) -> None:
    """Every page but /hang parsed into movies, /hang reported failed, all within the deadline, pages fetched at once.

    Verifies, against a local board whose pages take a moment and one of which never answers:
    the crawl returns within its deadline (timeouts passed on); the failed URL is recorded through
    an error_callback, not raised; every movie is parsed once; the server saw two or more requests
    at once (not one page at a time); and the pool is closed, not left running, when crawl returns.
    """
    _local_only()
    with crawler.BoardServer(delay=DELAY) as server, PoolsMade() as made:
        urls = server.board_urls(PAGES)
        hang = f"{server.url}/hang"
        call = call_with_deadline(answer.crawl, urls[:3] + [hang] + urls[3:], 4, TIMEOUT, timeout=DEADLINE)
        finished, gave_up, at_once = call.finished, server.abandoned, server.most_in_flight  # before the server stops
        left_open = made.still_open()
    stop_children()
    expected = sorted((m for offset in range(PAGES) for m in _movies(offset)), key=lambda m: int(m["rank"]))
    if not finished:
        if not gave_up:
            raise Wrong(f"crawl() did not return within {DEADLINE:g} s: the page that never answers held a worker "
                        "(and the pool's join) forever. Pass `timeout` to fetch_page(url, timeout).")
        if at_once < 2:  # slow because serial: say so, however busy the machine made it
            raise Wrong(_ONE_AT_A_TIME.format(f"did not return within {DEADLINE:g} s"))
        raise Wrong(f"crawl() did not return within {DEADLINE:g} s although the fetches time out: close() and join() "
                    "the pool, or wait for each result with a timeout.")
    if isinstance(call.error, crawler.PageError):
        raise Wrong(f"crawl() raised the failure of one page ({call.error}) instead of returning the others: give "
                    "apply_async an error_callback that records the failed URL (or catch the error per result).")
    if call.error is not None:
        raise call.error
    if not isinstance(call.value, tuple) or len(call.value) != 2:
        raise Wrong(f"crawl() should return (movies, failed); it returned {str(call.value)[:80]!r}.")
    movies, failed = call.value
    parsed = len({m.get("rank") for m in movies if isinstance(m, dict)})
    if parsed < len(expected) and not failed:
        raise Wrong(f"crawl() returned after {call.seconds:.2f} s with {parsed} of {len(expected)} movies and no "
                    "failed page: the pool was terminated before the pages arrived (leaving a `with Pool()` block "
                    "calls terminate()). Call close() and join() inside the block.")
    if list(failed) != [hang]:
        raise Wrong(f"`failed` should hold the one URL that never answered ({hang}); it holds {list(failed)!r}. "
                    "Record it in the error_callback: without one, a task's failure is dropped silently.")
    if sorted(movies, key=lambda m: int(m["rank"])) != expected:
        raise Wrong(f"crawl() found {len(movies)} movies on {PAGES} pages of {crawler.PAGE_SIZE}; expected each of "
                    f"the {len(expected)} once, as parse_with_parser(page.html) gives them.")
    if at_once < 2:
        raise Wrong(_ONE_AT_A_TIME.format(f"took {call.seconds:.2f} s"))
    if left_open:
        raise Wrong("crawl() returned the right movies with its pool still open (never closed, nor left through "
                    "`with`): its workers go on running after the crawl. close() and join() the pool before returning.")


_ONE_AT_A_TIME = ("the pages were fetched one at a time (the server never had two requests at once), so the crawl "
                  "{}: send every page with apply_async first, then wait for the results.")


def _movies(offset: int) -> list[dict[str, str]]:
    return crawler.parse_with_parser(crawler.board_page(offset * crawler.PAGE_SIZE))


EXERCISES = [
    Exercise("ex1", "lab08_ex1", "fetch with a timeout", check_fetch, timeout=12),
    Exercise("ex2", "lab08_ex2", "a crawler on a pool", check_crawl, timeout=15),
]
