"""Progress of long steps as plain Python log records on the `lcw.progress` logger.

`lcw` prints them (cli/main.py installs a handler); the Dagster UI has the same facts in the
run's event log, and nothing prints them there.
"""

import logging

progress_log = logging.getLogger("lcw.progress")


def is_milestone(done: int, total: int, steps: int = 10) -> bool:
    """True at about every tenth of `total` items, and at the last one."""
    return done == total or done % max(1, total // steps) == 0
