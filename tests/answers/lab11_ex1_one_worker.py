"""Wrong: a cluster of one worker process, however many diners were asked for."""
import os

from dask.distributed import Client, LocalCluster, as_completed


def cook(i, each):
    """A task: cook i's buns."""
    return list(range(i * each, (i + 1) * each))


def eat(bun):
    """A task: eat one bun in a worker process."""
    return os.getpid(), bun


def kitchen(cooks, diners, buns_per_cook, address=None):
    """Every bun eaten once, on a LocalCluster of `diners` workers, or on the scheduler at `address`."""
    if address is None:
        with LocalCluster(n_workers=1, threads_per_worker=1, host="127.0.0.1",
                          dashboard_address=":0") as cluster:
            return kitchen(cooks, diners, buns_per_cook, cluster.scheduler_address)
    with Client(address) as client:
        batches = [client.submit(cook, i, buns_per_cook) for i in range(cooks)]
        meals = []
        for batch in as_completed(batches):
            meals += [client.submit(eat, bun) for bun in batch.result()]
        return client.gather(meals)
