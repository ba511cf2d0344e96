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

_lazy_getattr, _, _lazy_names = lazy_loader.attach_stub(__name__, __file__)
__all__ = sorted([*_lazy_names, "__version__", "load_ipython_extension"])

#: ``hyperwidget.mlflow`` was a stand-in for six MLflow logging calls; MLflow itself now reports to the sweep.
_MLFLOW_REMOVED = (
    "hyperwidget.mlflow was removed: inside a sweep, plain `import mlflow` now reports mlflow.log_metric(...) "
    "to the trial (with its step). Replace `from hyperwidget import mlflow` with `import mlflow` and install "
    'MLflow with `pip install "hyperwidget[mlflow]"`.'
)


def __getattr__(name: str) -> Any:
    if name == "mlflow":  # an ImportError, not an AttributeError: `from hyperwidget import mlflow` shows it
        raise ImportError(_MLFLOW_REMOVED)
    return _lazy_getattr(name)


def __dir__() -> list[str]:
    return list(__all__)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext hyperwidget``: register the ``%%sweep`` magic (imports IPython only now)."""
    from hyperwidget.notebook.magic import load_ipython_extension as load

    load(ipython)
