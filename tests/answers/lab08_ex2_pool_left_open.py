"""Wrong: waits for every result, then returns with the pool still open."""
from ipclab import context
from ipclab.workers.crawler import fetch_page, parse_with_parser


def crawl(urls, processes, timeout):
    movies, failed = [], []
    pool = context().Pool(processes)
    pending = [pool.apply_async(fetch_page, (url, timeout), callback=lambda page: movies.extend(parse_with_parser(page.html)),
                                error_callback=lambda error: failed.append(error.url)) for url in urls]
    for result in pending:
        result.wait(timeout + 2)
    return movies, failed
