"""Wrong: http.client does not raise on 404; this returns the error page as if it were the page."""
import http.client
from urllib.parse import urlsplit


def fetch(url, timeout):
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("GET", parts.path + ("?" + parts.query if parts.query else ""))
        return conn.getresponse().read().decode()
    finally:
        conn.close()
