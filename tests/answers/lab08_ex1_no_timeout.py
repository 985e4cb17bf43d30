"""Wrong: no timeout -- a page that never answers is waited for forever."""
from urllib.request import urlopen


def fetch(url, timeout):
    with urlopen(url) as response:
        return response.read().decode()
