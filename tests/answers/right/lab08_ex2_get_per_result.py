"""Right, another way: wait for each result with get() and catch its failure, partial for the arguments."""
from functools import partial

from ipclab import context
from ipclab.workers.crawler import PageError, fetch_page, parse_with_parser


def crawl(urls, processes, timeout):
    movies, failed = [], []
    pool = context().Pool(processes)
    try:
        pending = [(url, pool.apply_async(partial(fetch_page, timeout=timeout), (url,))) for url in urls]
        for url, result in pending:
            try:
                page = result.get(timeout + 5)
            except PageError:
                failed.append(url)
            else:
                movies += parse_with_parser(page.html)
    finally:
        pool.close()
        pool.join()
    return movies, failed
