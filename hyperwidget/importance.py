"""Which hyperparameters mattered: permutation importance of a random forest fitted to a sweep's trials.

:func:`param_importance` fits a scikit-learn ``RandomForestRegressor`` to the
finished trials' hyperparameters (numbers as they are, or on a log scale when the
declared distribution is logarithmic or the values span two decades or more;
categories as their position in ``choice(...)`` order) against each trial's value
(its best primary metric, as everywhere in hyperwidget: failed and infeasible
trials have none and are left out). The importance of a hyperparameter is the
loss of the forest's R² when that column is shuffled (``permutation_importance``),
clipped at 0 and normalised to sum to 1. A hyperparameter that never changes gets 0.

This is an engine-side module: it imports neither Jupyter nor the notebook layer,
and scikit-learn only when called.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from hyperwidget.errors import HyperwidgetError
from hyperwidget.names import flat_params
from hyperwidget.results import trial_value
from hyperwidget.trial import Goal, TrialRecord

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["MIN_TRIALS", "ImportanceData", "ImportanceError", "importance_data", "param_importance"]

#: The fewest finished trials with a value that :func:`param_importance` accepts.
MIN_TRIALS = 8
#: Trials beyond this are not all fitted: the forest sees the latest ``MAX_FIT_TRIALS`` only (see ``max_trials``).
MAX_FIT_TRIALS = 3000


class ImportanceError(HyperwidgetError, ValueError):
    """The importance cannot be computed: too few trials, no hyperparameter that varies, a constant metric."""


class ImportanceData(NamedTuple):
    """The encoded matrix the forest is fitted to (see :func:`importance_data`)."""

    X: np.ndarray  #: one row per trial, one column per varying hyperparameter (encoded)
    y: np.ndarray  #: each trial's value
    names: list[str]  #: the columns' hyperparameter names
    constant: list[str]  #: hyperparameters with a single value in these trials (importance 0)
    log: list[str]  #: the columns put on a log10 scale
    categorical: list[str]  #: the columns encoded as category positions


def _declared_space(run: Any, space: Mapping[str, Any] | None) -> Mapping[str, Any]:
    found = (
        space if space is not None else getattr(getattr(getattr(run, "config", None), "sampler", None), "space", None)
    )
    if not isinstance(found, Mapping):
        return {}
    # a SearchSpace also names its nested parameters' expressions by flat name ("model.gamma")
    return {**found, **dict(zip(getattr(found, "names", ()), getattr(found, "expressions", ()), strict=True))}


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    return kind in ("i", "u", "f") and getattr(value, "ndim", 1) == 0


def _scored(run: Any) -> list[tuple[TrialRecord, float]]:
    goal = Goal.parse(run.goal)
    check = getattr(run, "is_feasible", None)
    feasible = check if callable(check) else None
    pairs = []
    for trial in run.trials:
        if trial.status.is_finished:
            value = trial_value(trial, run.metric, goal, feasible)
            if math.isfinite(value):
                pairs.append((trial, value))
    return pairs


def _category_order(values: Sequence[Any], expression: Any) -> dict[str, int]:
    """Each distinct value's position: in the declared ``choice`` order, else sorted by its text."""
    seen = {repr(v): v for v in values}
    declared = expression.grid_values() if hasattr(expression, "grid_values") else None
    order = [repr(v) for v in declared or () if repr(v) in seen]
    order += sorted(k for k in seen if k not in set(order))
    return {key: i for i, key in enumerate(order)}


def importance_data(
    run: Any, params: Sequence[str] | None = None, space: Mapping[str, Any] | None = None
) -> ImportanceData:
    """The finished trials with a value, encoded for the forest.

    ``run`` is anything with ``trials``, ``metric`` and ``goal`` (a ``SweepRun``,
    ``load_sweep(...)``'s results). A trial without a hyperparameter (conditional
    spaces) gets the column's lowest value minus one there. ``space`` maps names to
    declared expressions (default: ``run.config.sampler.space`` when present).
    """
    import numpy as np

    scored = _scored(run)
    flat = [flat_params(t.params) for t, _ in scored]  # nested parameters: one column per leaf, "model.gamma"
    names = list(params) if params is not None else list(dict.fromkeys(k for f in flat for k in f))
    declared = _declared_space(run, space)
    columns, used, constant, log, categorical = [], [], [], [], []
    for name in names:
        raw = [f.get(name) for f in flat]
        present = [v for v in raw if v is not None]
        if len({repr(v) for v in present}) + (len(present) < len(raw)) <= 1:
            constant.append(name)
            continue
        expression = declared.get(name)
        if present and all(_is_number(v) for v in present):
            numbers = [float(v) for v in present]
            declared_log = getattr(expression, "is_log", None)
            is_log = min(numbers) > 0 and (
                declared_log if isinstance(declared_log, bool) else max(numbers) / min(numbers) >= 100
            )
            column = np.array([math.nan if v is None else float(v) for v in raw])
            if is_log:
                column = np.log10(column)
                log.append(name)
        else:
            order = _category_order(present, expression)
            column = np.array([math.nan if v is None else float(order[repr(v)]) for v in raw])
            categorical.append(name)
        finite = column[np.isfinite(column)]
        column[~np.isfinite(column)] = (finite.min() - 1.0) if finite.size else 0.0
        columns.append(column)
        used.append(name)
    X = np.column_stack(columns) if columns else np.empty((len(scored), 0))
    y = np.array([value for _, value in scored], dtype=float)
    return ImportanceData(X, y, used, constant, log, categorical)


def param_importance(
    run: Any,
    params: Sequence[str] | None = None,
    *,
    space: Mapping[str, Any] | None = None,
    n_estimators: int = 100,
    n_repeats: int = 5,
    max_trials: int = MAX_FIT_TRIALS,
    random_state: int = 0,
) -> pd.Series:
    """How much each hyperparameter mattered for the primary metric, summing to 1.

    Parameters
    ----------
    run : SweepRun or SweepResults
        A sweep (running or finished); its finished trials with a value are used.
    params : sequence of str, optional
        The hyperparameters to rate (default: every one the trials have).
    space : mapping, optional
        Declared expressions by name, for log scales and category order
        (default: ``run.config.sampler.space`` when the run carries it).
    n_estimators, n_repeats, random_state :
        The forest's trees, the shuffles per hyperparameter, and the seed (the
        result is the same for the same trials and seed).
    max_trials : int
        At most this many trials are fitted (the latest to finish); a forest on
        3,000 trials takes about a second.

    Returns
    -------
    pandas.Series
        Importance by hyperparameter name, largest first, summing to 1; named after
        the metric, with ``attrs["n_trials"]`` (trials fitted), ``attrs["n_finished"]``
        (finished trials with a value) and ``attrs["r2"]`` (the forest's fit).

    Raises
    ------
    ImportanceError
        With fewer than :data:`MIN_TRIALS` finished trials with a value, when no
        hyperparameter varies, or when no hyperparameter explains any of the metric
        (a constant metric).

    Examples
    --------
    >>> from hyperwidget.results import SweepResults
    >>> from hyperwidget.trial import TrialRecord, TrialStatus
    >>> trials = [
    ...     TrialRecord(f"t{i}", i, {"x": i / 20, "noise": (7 * i) % 5}, TrialStatus.COMPLETED, {"score": (i / 20,)})
    ...     for i in range(20)
    ... ]
    >>> importance = param_importance(SweepResults("demo", "score", "maximize", trials))
    >>> importance.index[0], round(float(importance.sum()), 6)
    ('x', 1.0)
    """
    import numpy as np
    import pandas as pd
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.inspection import permutation_importance

    data = importance_data(run, params, space)
    n = len(data.y)
    metric = str(getattr(run, "metric", "metric"))
    if n < MIN_TRIALS:
        raise ImportanceError(
            f"parameter importance needs at least {MIN_TRIALS} finished trials with a value of {metric!r}; "
            f"{getattr(run, 'name', 'the sweep')!r} has {n}. Let the sweep run longer."
        )
    if not data.names:
        raise ImportanceError(f"no hyperparameter of {getattr(run, 'name', 'the sweep')!r} varies among its trials.")
    if float(np.ptp(data.y)) == 0.0:
        raise ImportanceError(f"{metric!r} has the same value in every trial: no hyperparameter explains it.")
    X, y = data.X, data.y
    if n > max_trials:  # the latest trials: the trials array is in creation order
        X, y = X[-max_trials:], y[-max_trials:]
    forest = RandomForestRegressor(
        n_estimators=n_estimators, min_samples_leaf=3, max_features=1.0, random_state=random_state, n_jobs=1
    )
    forest.fit(X, y)
    result = permutation_importance(forest, X, y, n_repeats=n_repeats, random_state=random_state, n_jobs=1)
    raw = np.clip(result.importances_mean, 0.0, None)
    if raw.sum() <= 0.0:
        raise ImportanceError(f"no hyperparameter explains any of {metric!r} (every importance is 0).")
    values = {name: float(v) for name, v in zip(data.names, raw / raw.sum(), strict=True)}
    values.update(dict.fromkeys(data.constant, 0.0))
    series = pd.Series(values, name=metric, dtype=float).sort_values(ascending=False, kind="stable")
    series.index.name = "hyperparameter"
    series.attrs.update(n_trials=len(y), n_finished=n, r2=float(forest.score(X, y)))
    return series
