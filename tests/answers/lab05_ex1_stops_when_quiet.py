"""Wrong: the stage ends when nothing arrived for a second, not at EOF."""


def transform(inbox, outbox, fn):
    while inbox.poll(1):
        try:
            outbox.send(fn(inbox.recv()))
        except EOFError:
            break
    outbox.close()
