"""Right, another way: `with outbox`, a walrus over a helper that maps EOF to a marker, and match."""

_EOF = object()


def _next(conn):
    try:
        return conn.recv()
    except EOFError:
        return _EOF


def transform(inbox, outbox, fn):
    with outbox:
        while (item := _next(inbox)) is not _EOF:
            match item:
                case _:
                    outbox.send(fn(item))
