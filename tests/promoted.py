"""Trial functions for the promotion tests: importable, so that worker processes (loky, Dask) load them."""

from __future__ import annotations

import time

import hyperwidget as hw


def value_at(x: float, epoch: int) -> float:
    """The learning curve of configuration ``x``: rises with the epochs toward ``x``."""
    return x * (1 - 1 / (epoch + 1))


def checkpointed(x: float, epochs: int = 9, seconds: float = 0.0) -> None:
    """Trains ``epochs`` epochs (``seconds`` each), saving its state before each ``log``; resumes from it."""
    run = hw.Run.get_context()
    state = run.load_checkpoint() or {"epoch": 0, "starts": []}
    starts = [*state["starts"], state["epoch"]]
    for epoch in range(state["epoch"] + 1, epochs + 1):
        time.sleep(seconds)
        run.save_checkpoint({"epoch": epoch, "starts": starts})
        run.log("acc", value_at(x, epoch), step=epoch)


def from_scratch(x: float, epochs: int = 9, seconds: float = 0.0) -> None:
    """Trains from the first epoch every time it is called (saves no checkpoint)."""
    for epoch in range(1, epochs + 1):
        time.sleep(seconds)
        hw.log("acc", value_at(x, epoch), step=epoch)
