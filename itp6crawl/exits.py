"""The exit statuses of the ``itp6crawl`` command (README "Exit status"), declared once.

A crawl's run row stores the status its process exits with (``crawl_runs.exit_status``), so the crawl
session below the CLI sets them too: they live here, beneath both, and import nothing.
"""

from __future__ import annotations

EXIT_OK = 0  # the run finished, or reached a limit
EXIT_FAILED = 1  # the run failed (site unreachable, a write error, nothing archived, not an archive)
EXIT_USAGE = 2  # a bad option or setting: one line, nothing created
EXIT_BUSY = 3  # another run holds the archive
EXIT_INTERRUPTED = 4  # Ctrl-C or SIGTERM: what was archived is safe, the next run continues
