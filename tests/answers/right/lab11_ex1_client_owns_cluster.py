"""Right, another way: Client() starts and owns its LocalCluster (and closes it); cooks gathered, then map."""
import os

from dask.distributed import Client


def cook(i, each):
    return list(range(i * each, (i + 1) * each))


def eat(bun):
    return os.getpid(), bun


def kitchen(cooks, diners, buns_per_cook, address=None):
    options = {"address": address} if address else {"n_workers": diners, "threads_per_worker": 1,
                                                     "dashboard_address": ":0"}
    with Client(**options) as client:
        batches = client.gather([client.submit(cook, i, buns_per_cook) for i in range(cooks)])
        buns = [bun for batch in batches for bun in batch]
        return client.gather(client.map(eat, buns))
