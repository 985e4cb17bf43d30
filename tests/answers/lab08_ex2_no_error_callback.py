"""Wrong: no error_callback -- the page that failed is dropped silently."""
from ipclab import context
from ipclab.workers.crawler import fetch_page, parse_with_parser


def crawl(urls, processes, timeout):
    movies = []
    with context().Pool(processes) as pool:
        for url in urls:
            pool.apply_async(fetch_page, (url, timeout), callback=lambda page: movies.extend(parse_with_parser(page.html)))
        pool.close()
        pool.join()
    return movies, []
