"""Wrong: chunksize 1 on 150 000 tiny tasks."""
PROCESSES = 2
CHUNKSIZE = 1
