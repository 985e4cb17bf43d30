"""Right, another way: lambdas as callbacks, the pool closed and joined in a finally."""
import ipclab
from ipclab.workers.crawler import fetch_page, parse_with_parser


def crawl(urls, processes, timeout):
    movies, failed = [], []
    pool = ipclab.context().Pool(processes)
    try:
        for url in urls:
            pool.apply_async(fetch_page, (url, timeout), callback=lambda page: movies.extend(parse_with_parser(page.html)),
                             error_callback=lambda error: failed.append(error.url))
    finally:
        pool.close()
        pool.join()
    return movies, failed
