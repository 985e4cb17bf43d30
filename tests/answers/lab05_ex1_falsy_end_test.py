"""Wrong: `if not item` ends the stage at the first 0, b"" or ""."""


def transform(inbox, outbox, fn):
    while True:
        try:
            item = inbox.recv()
        except EOFError:
            break
        if not item:
            break
        outbox.send(fn(item))
    outbox.close()
