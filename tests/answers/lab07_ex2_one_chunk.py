"""Wrong: one chunk holds all the work, so one process counts while the other waits."""
PROCESSES = 2
CHUNKSIZE = 250_000
