"""A trial module that takes ``IMPORT_SECONDS`` to import, as one importing torch does: cold-start tests."""

from __future__ import annotations

import time

from hyperwidget.context import log

IMPORT_SECONDS = 1.5
time.sleep(IMPORT_SECONDS)


def nap(x: float, seconds: float = 0.2) -> float:
    """Sleeps ``seconds`` (the trial's own work), then logs and returns ``x``."""
    time.sleep(seconds)
    log("acc", x)
    return x
