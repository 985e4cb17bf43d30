"""Right, another way: http.client, with the status checked by hand."""
import http.client
from urllib.parse import urlsplit


def fetch(url, timeout):
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("GET", f"{parts.path}?{parts.query}")
        response = conn.getresponse()
        if response.status != 200:
            raise OSError(f"{url}: HTTP {response.status}")
        return response.read().decode()
    finally:
        conn.close()
