"""Wrong: apply() waits for each page before sending the next -- a pool that works like a loop."""
from ipclab import context
from ipclab.workers.crawler import PageError, fetch_page, parse_with_parser


def crawl(urls, processes, timeout):
    movies, failed = [], []
    with context().Pool(processes) as pool:
        for url in urls:
            try:
                movies.extend(parse_with_parser(pool.apply(fetch_page, (url, timeout)).html))
            except PageError as error:
                failed.append(error.url)
    return movies, failed
