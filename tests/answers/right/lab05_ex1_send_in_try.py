"""Right, another way: the output closed by `with`, the loop left by the EOFError it catches."""


def transform(inbox, outbox, fn):
    with outbox:
        try:
            while True:
                outbox.send(fn(inbox.recv()))
        except EOFError:
            pass
