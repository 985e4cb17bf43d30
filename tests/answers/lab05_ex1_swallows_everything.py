"""Wrong: `except Exception` ends the stage quietly on any error, not only at EOF."""


def transform(inbox, outbox, fn):
    while True:
        try:
            outbox.send(fn(inbox.recv()))
        except Exception:
            break
    outbox.close()
