"""Wrong: leaving the with block terminates the pool before any page arrives."""
from ipclab import context
from ipclab.workers.crawler import fetch_page, parse_with_parser


def crawl(urls, processes, timeout):
    movies, failed = [], []
    with context().Pool(processes) as pool:
        for url in urls:
            pool.apply_async(fetch_page, (url, timeout), callback=lambda page: movies.extend(parse_with_parser(page.html)),
                             error_callback=lambda error: failed.append(error.url))
    return movies, failed
