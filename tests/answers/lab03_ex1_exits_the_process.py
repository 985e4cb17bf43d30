"""Wrong: the diner ends its own process (os._exit) after a bun, so it never reaches its sentinel."""

import os


def diner(buns, eaten):
    while True:
        bun = buns.get()
        if bun is None:
            break
        eaten.put(bun)
        if bun == 5:
            os._exit(0)
