"""Wrong: the failure is caught and an empty page returned, so nobody hears of it."""
from urllib.request import urlopen


def fetch(url, timeout):
    try:
        with urlopen(url, timeout=timeout) as response:
            return response.read().decode()
    except TimeoutError:
        return ""
