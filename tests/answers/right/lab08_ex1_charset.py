"""Right, another way: decoded with the charset the server names, and the status checked by hand."""
import urllib.error
import urllib.request


def fetch(url, timeout):
    response = urllib.request.urlopen(url, timeout=timeout)
    try:
        if response.status != 200:
            raise urllib.error.HTTPError(url, response.status, response.reason, response.headers, None)
        return response.read().decode(response.headers.get_content_charset() or "utf-8")
    finally:
        response.close()
