"""Wrong: chunksize 1 on 250 000 tiny tasks."""
PROCESSES = 2
CHUNKSIZE = 1
