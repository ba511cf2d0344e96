"""Search-space expressions (HyperDrive's ten, plus natural-bound types) and ``SearchSpace``.

Every expression can ``sample`` from its law, map a point of the unit interval
to a value (``from_unit``, the inverse CDF used by Sobol and model-based
samplers) and back (``to_unit``), report its ``bounds`` and ``value_type``,
list its finite support (``grid_values``) and serialise itself to plain JSON
(``to_json``), as Azure does: ``["uniform", [0.05, 0.1]]``.

Three spellings build the same objects:

* HyperDrive v1 functions: ``choice(16, 32)``, ``uniform(0.05, 0.1)``,
  ``loguniform(-9, -2)`` ... (the ten of ``azureml.train.hyperdrive``);
* Azure ML v2 classes, which *are* the expression classes, with keyword
  arguments: ``Choice(values=[16, 32])``, ``Randint(upper=10)``,
  ``Uniform(min_value=0.05, max_value=0.1)``, ``QUniform(min_value=0,
  max_value=10, q=2)``, ``LogUniform``, ``QLogUniform``, ``Normal(mu=0,
  sigma=1)``, ``QNormal``, ``LogNormal``, ``QLogNormal``;
* natural-bound types in the style of Syne Tune (the d2l chapter), under names
  that cannot be mistaken for HyperDrive's exponent-bounded ``loguniform``:
  ``log_uniform(1e-5, 1e-1)``, ``log_randint(8, 512)``, ``intrange(1, 6)``,
  ``finrange(0.1, 0.5, 5)`` and ``logfinrange(8, 256, 6)``.

Validation happens at declaration and raises :class:`SearchSpaceError` naming
the expression, the argument, the value given and the fix. Hyperwidget is
stricter than Azure's SDK on two points, on purpose: every range needs
``min < max`` (Azure allows ``loguniform(a, a)``) and ``sigma > 0`` (Azure
allows 0); a degenerate range is a constant, written ``choice(a)``. It is more
lenient on one: ``q`` may be any positive number (Azure wants an integral one).
Quantised values use ``numpy.round`` (round half to even), as hyperopt does;
for the bounded ``quniform`` / ``qloguniform`` a bound that rounds to a value of
probability 0 (``quniform(0.5, 3.5, 1)`` at exactly 0.5) is kept in the support,
so ``bounds`` and ``grid_values`` list every value ``from_unit`` can return.

The package holds one concept per module (dependencies point downward):
:mod:`._base` (validation and quantisation helpers, ``GridValues``, the
``Expression`` ABC), :mod:`._hyperdrive` (``choice``, ``randint`` and the
uniform family), :mod:`._gaussian` (the normal family), :mod:`._natural`
(natural-bound types), :mod:`._points` (a hand-written configuration's values
checked against their expressions, for ``SearchSpace.check_config``), :mod:`._tree`
(nested and conditional spaces: groups and choices of branches, flattened to
:class:`Dimension` s named ``"model.gamma"``) and :mod:`._search_space`
(``SearchSpace`` and the JSON form). Import from
``hyperwidget.space``; the private modules may move.
"""

from __future__ import annotations

from hyperwidget.errors import HyperwidgetWarning, SearchSpaceError
from hyperwidget.space._base import Expression, GridValues
from hyperwidget.space._gaussian import LogNormal, Normal, QLogNormal, QNormal, lognormal, normal, qlognormal, qnormal
from hyperwidget.space._hyperdrive import (
    Choice,
    LogUniform,
    QLogUniform,
    QUniform,
    Randint,
    Uniform,
    choice,
    loguniform,
    qloguniform,
    quniform,
    randint,
    uniform,
)
from hyperwidget.space._natural import (
    FinRange,
    IntRange,
    LogFinRange,
    LogScaleRandint,
    LogScaleUniform,
    finrange,
    intrange,
    log_randint,
    log_uniform,
    logfinrange,
)
from hyperwidget.space._search_space import SearchSpace, expression_from_json, register_expression
from hyperwidget.space._tree import Dimension

__all__ = [
    "Choice",
    "Dimension",
    "Expression",
    "FinRange",
    "GridValues",
    "HyperwidgetWarning",
    "IntRange",
    "LogFinRange",
    "LogNormal",
    "LogScaleRandint",
    "LogScaleUniform",
    "LogUniform",
    "Normal",
    "QLogNormal",
    "QLogUniform",
    "QNormal",
    "QUniform",
    "Randint",
    "SearchSpace",
    "SearchSpaceError",
    "Uniform",
    "choice",
    "expression_from_json",
    "finrange",
    "intrange",
    "log_randint",
    "log_uniform",
    "logfinrange",
    "lognormal",
    "loguniform",
    "normal",
    "qlognormal",
    "qloguniform",
    "qnormal",
    "quniform",
    "randint",
    "register_expression",
    "uniform",
]
