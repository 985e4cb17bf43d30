"""Wrong: the diner ends when no bun came for a second -- by timing, not at its sentinel."""

import queue


def diner(buns, eaten):
    while True:
        try:
            bun = buns.get(timeout=1)
        except queue.Empty:
            return
        if bun is None:
            return
        eaten.put(bun)
