"""Right, another way: iter(get, None) stops at the sentinel (compared with ==, so 0 is still a bun)."""


def diner(buns, eaten):
    for bun in iter(buns.get, None):
        eaten.put(bun)
