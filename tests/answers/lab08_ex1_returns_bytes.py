"""Wrong: the page's body as bytes, not text."""
import urllib.request


def fetch(url, timeout):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()
