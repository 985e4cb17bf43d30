"""Wrong: the diner ends its own process (os._exit) after a bun, while its report is being sent.

What CI once saw of ``lab03_ex1_exits_the_process.py``, made certain: the
process dies while its queue's feeder thread holds ``eaten``'s write lock
(taken here by hand, as the feeder does while it writes), so every other diner
that reports a bun afterwards cannot exit.  The check must still name the death,
not the diners it left stuck.
"""

import os


def diner(buns, eaten):
    while True:
        bun = buns.get()
        if bun is None:
            break
        eaten.put(bun)
        if bun == 5:
            eaten._wlock.acquire()  # private; what Queue's feeder thread holds while it sends (not on Windows)
            os._exit(0)
