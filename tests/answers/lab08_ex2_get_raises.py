"""Wrong: get() raises the one page's PageError, and the other pages are lost with it."""
from ipclab import context
from ipclab.workers.crawler import fetch_page, parse_with_parser


def crawl(urls, processes, timeout):
    movies = []
    with context().Pool(processes) as pool:
        results = [pool.apply_async(fetch_page, (url, timeout)) for url in urls]
        for result in results:
            movies.extend(parse_with_parser(result.get(timeout + 5).html))
    return movies, []
