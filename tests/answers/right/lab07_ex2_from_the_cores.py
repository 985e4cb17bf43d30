"""Right, another way: the pool size read from the machine, about eight chunks per process."""
import os

PROCESSES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
CHUNKSIZE = 250_000 // (PROCESSES * 8)
