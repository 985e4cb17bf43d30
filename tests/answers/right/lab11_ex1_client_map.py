"""Right, another way: cluster and client in one with-statement, the cooks' batches flattened into client.map."""
import os

from dask.distributed import Client, LocalCluster


def cook(i, each):
    return list(range(i * each, (i + 1) * each))


def eat(bun):
    return os.getpid(), bun


def kitchen(cooks, diners, buns_per_cook, address=None):
    if address is None:
        with LocalCluster(n_workers=diners, threads_per_worker=1, host="127.0.0.1", dashboard_address=":0") as cluster:
            return kitchen(cooks, diners, buns_per_cook, cluster.scheduler_address)
    with Client(address) as client:
        batches = client.gather(client.map(cook, range(cooks), each=buns_per_cook))
        return client.gather(client.map(eat, [bun for batch in batches for bun in batch]))
