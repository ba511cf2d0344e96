"""What a %%sweep cell logs by name, and when that list is certain (the --metric check before any trial)."""

from __future__ import annotations

import functools
import math
import sys
import types

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import hyperwidget
from hyperwidget.notebook import _logged
from hyperwidget.notebook._logged import cell_logs

FALLBACKS = {"log": hyperwidget.log, "Run": hyperwidget.Run}


def notebook_function(value):  # stands for a function defined in a notebook cell
    hyperwidget.log("accuracy", value)


notebook_function.__module__ = "__main__"


class NotebookTransformer(StandardScaler):
    pass


NotebookTransformer.__module__ = "__main__"


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("log('acc', 1)\nlog('loss', 2)\nlog('acc', 3)\n", ("acc", "loss")),
        ("log(name='acc', value=1)\n", ("acc",)),
        (
            "Run.get_context().log('acc', 1)\nrun = Run.get_context()\nrun.log_metrics({'f1': 1, 'auc': 2})\n",
            ("acc", "f1", "auc"),
        ),
        ("def every_epoch(v):\n    log('acc', v)\nevery_epoch(1)\n", ("acc",)),
        ("import math\nx = math.log(2.0)\ny = np.log(x)\nlog('acc', y)\n", ("acc",)),  # np.log, math.log: not logging
        ("model = pipe.fit([[0.0], [1.0]])\nlog('acc', 1)\n", ("acc",)),  # a plain scikit-learn pipeline
        ("x = getattr(math, 'pi')\nlog('acc', x)\n", ("acc",)),
    ],
)
def test_literal_names_are_certain(source, names):
    found = cell_logs(source, {**FALLBACKS, "np": np, "pipe": make_pipeline(StandardScaler()), "math": math})
    assert found == _logged.CellLogs(names, None)
    assert found.never_logs("acuracy") and not found.never_logs(names[0])


@pytest.mark.parametrize(
    ("source", "globals_", "reason"),
    [
        ("for k in 'ab':\n    log(k, 1)\n", {}, "log(k, 1) logs a name computed at run time"),
        ("log(f'acc_{1}', 1)\n", {}, "logs a name computed at run time"),
        ("run = Run.get_context()\nrun.log_metrics(scores)\n", {"scores": {}}, "logs names computed at run time"),
        ("report = log\nreport('acc', 1)\n", {}, "passes the logging function log around"),
        ("train(callback=Run.get_context().log)\n", {"train": print}, "passes the logging function"),
        ("train(1)\n", {"train": notebook_function}, "'train' comes from the notebook, and may log"),
        ("cb()\n", {"cb": functools.partial(notebook_function, 1)}, "'cb' comes from the notebook"),
        ("hooks['end'](1)\n", {"hooks": {"end": notebook_function}}, "'hooks' comes from the notebook"),
        ("cfg.fn(1)\n", {"cfg": types.SimpleNamespace(fn=notebook_function)}, "'cfg' comes from the notebook"),
        ("pipe.fit([[0.0]])\n", {"pipe": make_pipeline(NotebookTransformer())}, "'pipe' comes from the notebook"),
        ("report('acc', 1)\n", {"report": hyperwidget.log}, "'report' is hyperwidget's log under another name"),
        ("exec('log(\"acc\", 1)')\n", {}, "calls exec()"),
        ("get_ipython().run_line_magic('run', 'train.py')\n", {}, "calls get_ipython()"),
        ("from . import train\n", {}, "relative import"),
        ("f = getattr(Run.get_context(), 'log')\n", {}, "getattr"),
        # MLflow reports to the trial, and its autologging picks the names at run time
        ("import mlflow\nmlflow.sklearn.autolog()\n", {}, "it imports mlflow, which may log"),
        ("from mlflow import log_metric\nlog_metric('acc', 1)\n", {}, "it imports from mlflow, which may log"),
    ],
)
def test_anything_that_may_log_other_names_makes_the_list_uncertain(source, globals_, reason):
    found = cell_logs(f"{source}log('acc', 1)\n", {**FALLBACKS, **globals_})
    assert found.uncertain is not None and reason in found.uncertain
    assert not found.never_logs("acuracy")


def test_modules_are_inert_only_when_independent_of_hyperwidget(tmp_path, monkeypatch):
    assert _logged._module_kind("json") == "inert"
    assert _logged._module_kind("numpy.linalg") == "inert"
    assert _logged._module_kind("sklearn") == "inert"
    assert _logged._module_kind("hyperwidget.context") == "hyperwidget"
    assert _logged._module_kind("__main__") == "may log"
    (tmp_path / "local_training.py").write_text("def fit():\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _logged._module_kind("local_training") == "may log"  # a module next to the notebook
    assert _logged._depends_on_hyperwidget("hyperwidget") and not _logged._depends_on_hyperwidget("numpy")
    found = cell_logs("import local_training\nlocal_training.fit()\nlog('acc', 1)\n", FALLBACKS)
    assert found.uncertain == "it imports local_training, which may log"


def test_an_installed_package_that_imported_hyperwidget_may_log(monkeypatch):
    package = types.ModuleType("sklearn.fake_integration")
    package.hw_log = hyperwidget.log
    monkeypatch.setitem(sys.modules, "sklearn.fake_integration", package)
    _logged._module_kind.cache_clear()
    assert _logged._module_kind("sklearn") == "may log"
    _logged._module_kind.cache_clear()
