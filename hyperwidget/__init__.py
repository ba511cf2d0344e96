"""hyperwidget: HyperDrive-style hyperparameter tuning in the notebook, on joblib, with a live monitor.

The engine runs without Jupyter; ``%load_ext hyperwidget`` adds the ``%%sweep``
cell magic and the live monitor widget. The public names are listed in
``__init__.pyi``, where type checkers and IDEs read them; at run time
``lazy_loader`` imports each one's module on first use (the scientific-Python
pattern, SPEC 1), so that a training script's ``from hyperwidget import Run``
starts fast and ``import hyperwidget`` imports neither numpy nor Jupyter.
"""

from __future__ import annotations

from typing import Any

import lazy_loader

__version__ = "0.1.0"

__getattr__, _, _lazy_names = lazy_loader.attach_stub(__name__, __file__)
__all__ = sorted([*_lazy_names, "__version__", "load_ipython_extension"])


def __dir__() -> list[str]:
    return list(__all__)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext hyperwidget``: register the ``%%sweep`` magic (imports IPython only now)."""
    from hyperwidget.notebook.magic import load_ipython_extension as load

    load(ipython)
