"""Wrong: closes its input before reading it (the source's habit of closing "unused" ends, misapplied)."""


def transform(inbox, outbox, fn):
    inbox.close()
    while True:
        try:
            item = inbox.recv()
        except EOFError:
            break
        outbox.send(fn(item))
    outbox.close()
