"""The `beholder` command line: one module per command, errors as one line, never a traceback."""
