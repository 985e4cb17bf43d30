"""The chapters' workers: the code that runs in child processes.

The rest of :mod:`ipclab` is the toolkit (start method, tracer, bench, plots,
sandbox, checks, widgets); this subpackage holds only what a chapter runs and
shows: :mod:`~ipclab.workers.processes` (01), :mod:`~ipclab.workers.queues`
(02), :mod:`~ipclab.workers.kitchen` (the cooks and diners of 02-04),
:mod:`~ipclab.workers.pipes` (05), :mod:`~ipclab.workers.shared` (06), :mod:`~ipclab.workers.memory` (06c),
:mod:`~ipclab.workers.pools` (07), :mod:`~ipclab.workers.pool_troubles` (07b, 07c), :mod:`~ipclab.workers.echo` and
:mod:`~ipclab.workers.crawler` (08), :mod:`~ipclab.workers.pitfalls` (09),
:mod:`~ipclab.workers.pipeline` (lab 10), :mod:`~ipclab.workers.remote` (11).  Each function is small and readable,
because the notebooks print its source before running it.
"""
