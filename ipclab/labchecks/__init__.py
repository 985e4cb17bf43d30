"""The checks of each lab: ``labNN.EXERCISES`` (see :mod:`ipclab.checks`)."""
