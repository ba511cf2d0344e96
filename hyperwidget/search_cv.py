"""``SweepSearchCV``: a scikit-learn search estimator whose candidates are the trials of a hyperwidget sweep.

A drop-in for :class:`~sklearn.model_selection.RandomizedSearchCV`: the same
``fit`` / ``predict`` / ``score``, the same ``best_*`` attributes and the same
``cv_results_`` columns, built on scikit-learn's own machinery (``check_cv``,
``check_scoring``, ``clone``, ``available_if``). What it adds: any hyperwidget
sampler (Bayesian by default) and **early termination across folds**. Each
candidate is one trial, and each fold is one evaluation interval: after fold
``k`` the trial logs the mean score of its first ``k`` folds as
``mean_test_score``, so a policy (``BanditPolicy(..., delay_evaluation=2)``,
``"median"``, ...) can stop a hopeless candidate after 2 of 5 folds and the
folds it would have fit are saved.

This module sits above :mod:`hyperwidget.api` (it runs sweeps through
:func:`~hyperwidget.api.run_sweep`, which shows the live monitor in a notebook).
"""

from __future__ import annotations

import builtins
import dataclasses
import math
import time
from collections.abc import Callable, Mapping, Sequence
from copy import deepcopy
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.metaestimators import _safe_split, available_if
from sklearn.utils.validation import _check_method_params, check_is_fitted, indexable

from hyperwidget.api import run_sweep
from hyperwidget.context import log
from hyperwidget.errors import SearchSpaceError, SweepConfigError, SweepFailedError
from hyperwidget.results import SweepResults
from hyperwidget.space import Expression, choice, intrange, log_uniform, uniform

__all__ = ["SweepSearchCV"]

#: The names a trial logs: per fold its score and times, then the running mean (the primary metric).
METRIC, SPLIT_SCORE, FIT_TIME, SCORE_TIME = "mean_test_score", "split_test_score", "fit_time", "score_time"
#: Samplers that draw each value from its law (``sample``), so they accept any scipy.stats distribution.
_DRAWING_SAMPLERS = ("random",)


# --------------------------------------------------------------------------- param_distributions -> space


@dataclasses.dataclass(frozen=True, repr=False)
class ScipyDistribution(Expression):
    """A frozen scipy.stats distribution without a hyperwidget equivalent, drawn with its own ``rvs``.

    Only samplers that draw from each law (``"random"``) take it; ``from_unit``
    (the inverse CDF) is defined so that the space stays well formed.
    """

    frozen: Any
    kind = "scipy"

    def sample(self, rng: np.random.Generator) -> Any:
        value = self.frozen.rvs(random_state=rng)
        return int(value) if self.is_integer else float(value)

    def from_unit(self, u: float) -> Any:
        value = self.frozen.ppf(min(max(u, 1e-12), 1 - 1e-12))
        return int(value) if self.is_integer else float(value)

    def to_unit(self, value: Any) -> float:
        return float(self.frozen.cdf(value))

    def args(self) -> list[Any]:
        return [self.frozen.dist.name, [float(a) for a in self.frozen.args], dict(self.frozen.kwds)]

    @property
    def bounds(self) -> tuple[float, float]:
        low, high = self.frozen.support()
        return float(low), float(high)

    @property
    def is_integer(self) -> bool:
        return hasattr(self.frozen.dist, "pmf")

    def __repr__(self) -> str:
        name, args, kwds = self.args()
        return f"scipy.stats.{name}({', '.join([*map(repr, args), *(f'{k}={v!r}' for k, v in kwds.items())])})"


def _is_frozen_scipy(value: Any) -> bool:
    return hasattr(value, "rvs") and hasattr(value, "dist") and hasattr(value, "support")


def _from_scipy(frozen: Any) -> Expression:
    """The hyperwidget expression of a frozen uniform, loguniform/reciprocal or randint; else a ScipyDistribution."""
    name = frozen.dist.name
    # scipy's own argument parser: (shape args, loc, scale) whether they were given by position or keyword
    _, loc, _ = frozen.dist._parse_args(*frozen.args, **frozen.kwds)
    low, high = (float(v) for v in frozen.support())
    if name == "uniform" and low < high:
        return uniform(low, high)
    if name in ("loguniform", "reciprocal") and loc == 0 and 0 < low < high:
        return log_uniform(low, high)
    if name == "randint":
        return intrange(int(low), int(high)) if low < high else choice(int(low))
    return ScipyDistribution(frozen)


def _from_list(name: str, values: Sequence[Any]) -> tuple[Expression, list[Any] | None]:
    """``choice`` of the values when they are plain data, else ``choice`` of their indices and the values."""
    if len(values) == 0:
        raise SearchSpaceError(
            f"SweepSearchCV: param_distributions[{name!r}] is an empty list; give at least one value."
        )
    try:
        return choice(*values), None
    except SearchSpaceError:  # estimators, callables, arrays: the trial looks them up by index
        return choice(*range(len(values))), list(values)


def _check_sampler_takes(name: str, expression: Expression, sampler: str) -> None:
    kind = sampler.split("(")[0].strip().lower()
    if isinstance(expression, ScipyDistribution) and kind not in _DRAWING_SAMPLERS:
        raise SearchSpaceError(
            f"SweepSearchCV: param_distributions[{name!r}] is {expression!r}, which sampler={sampler!r} cannot use: "
            "it needs a hyperwidget expression it can map onto the unit cube (only uniform, loguniform/reciprocal "
            "and randint from scipy.stats are translated). Use sampler='random', or a hyperwidget expression such "
            "as uniform(a, b), log_uniform(a, b) or intrange(a, b)."
        )


def to_search_space(distributions: Any, sampler: str = "random") -> tuple[dict[str, Expression], dict[str, list[Any]]]:
    """The hyperwidget space of a ``param_distributions`` dict, and the value lists of index-coded choices.

    Hyperwidget expressions are kept; lists (and tuples, arrays, ranges) become
    ``choice``; scipy.stats ``uniform``, ``loguniform``/``reciprocal`` (with
    ``loc=0``) and ``randint`` become ``uniform``, ``log_uniform`` and
    ``intrange``; any other frozen scipy.stats distribution is drawn with its
    own ``rvs``, which only ``sampler="random"`` accepts.

    Raises
    ------
    SearchSpaceError
        Naming the parameter and the fix, for anything else.

    Examples
    --------
    >>> from scipy.stats import loguniform
    >>> space, lookup = to_search_space({"C": loguniform(1e-3, 1e2), "kernel": ["rbf", "linear"]})
    >>> space
    {'C': log_uniform(lower=0.001, upper=100.0), 'kernel': choice('rbf', 'linear')}
    """
    if not isinstance(distributions, Mapping):
        raise SearchSpaceError(
            f"SweepSearchCV: param_distributions must be a dict of parameter name -> list, scipy.stats "
            f"distribution or hyperwidget expression, got {type(distributions).__name__}; a list of dicts (a union "
            "of sub-spaces) is not supported: run one SweepSearchCV per sub-space."
        )
    space: dict[str, Expression] = {}
    lookup: dict[str, list[Any]] = {}
    for name, value in distributions.items():
        if isinstance(value, Expression):
            space[name] = value
        elif _is_frozen_scipy(value):
            space[name] = _from_scipy(value)
        elif isinstance(value, (list, tuple, range, np.ndarray)):
            space[name], values = _from_list(name, list(value))
            if values is not None:
                lookup[name] = values
        else:
            raise SearchSpaceError(
                f"SweepSearchCV: param_distributions[{name!r}] must be a list, a frozen scipy.stats distribution "
                f"or a hyperwidget expression, got {type(value).__name__} {value!r:.60}; wrap a single value in a "
                f"list: [{value!r:.40}]."
            )
        _check_sampler_takes(name, space[name], sampler)
    return space, lookup


def _decode(params: Mapping[str, Any], lookup: Mapping[str, list[Any]]) -> dict[str, Any]:
    return {name: lookup[name][value] if name in lookup else value for name, value in params.items()}


# --------------------------------------------------------------------------- one candidate = one trial


@dataclasses.dataclass(frozen=True)
class _CrossValidation:
    """The objective of a sweep: cross-validate one candidate, logging each fold (picklable, for loky and dask)."""

    estimator: Any
    X: Any
    y: Any
    splits: list[tuple[np.ndarray, np.ndarray]]
    scorer: Callable[..., float]
    fit_params: Mapping[str, Any]
    lookup: Mapping[str, list[Any]]

    def __call__(self, candidate_params: Mapping[str, Any]) -> None:
        params = _decode(candidate_params, self.lookup)
        scores: list[float] = []
        for train, test in self.splits:
            score, fit_time, score_time = self.fit_and_score(params, train, test)
            scores.append(score)
            log(SPLIT_SCORE, score)
            log(FIT_TIME, fit_time)
            log(SCORE_TIME, score_time)
            log(METRIC, float(np.mean(scores)))  # the evaluation interval: a policy may stop the trial here

    def fit_and_score(self, params: Mapping[str, Any], train: np.ndarray, test: np.ndarray) -> tuple[float, ...]:
        """Fit a clone with ``params`` on ``train``; its score on ``test`` and the fit and score times."""
        estimator = clone(self.estimator).set_params(**clone(params, safe=False))
        X_train, y_train = _safe_split(estimator, self.X, self.y, train)
        X_test, y_test = _safe_split(estimator, self.X, self.y, test, train)
        start = time.perf_counter()
        estimator.fit(X_train, y_train, **_check_method_params(self.X, self.fit_params, train))
        fitted = time.perf_counter()
        score = self.scorer(estimator, X_test) if y_test is None else self.scorer(estimator, X_test, y_test)
        return float(score), fitted - start, time.perf_counter() - fitted


# --------------------------------------------------------------------------- cv_results_


def _padded(series: Sequence[float], n_splits: int) -> np.ndarray:
    return np.array([*series, *[math.nan] * (n_splits - len(series))], dtype=float)[:n_splits]


def _param_arrays(candidates: list[dict[str, Any]]) -> dict[str, np.ma.MaskedArray]:
    """``param_<name>`` masked arrays, numeric when every value is a number (as scikit-learn >= 1.5 does)."""
    columns: dict[str, np.ma.MaskedArray] = {}
    for name in dict.fromkeys(n for params in candidates for n in params):
        values = [params.get(name) for params in candidates]
        numeric = all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in values)
        data = np.array(values) if numeric else np.empty(len(values), dtype=object)
        if not numeric:
            data[:] = values
        columns[f"param_{name}"] = np.ma.MaskedArray(data, mask=[name not in p for p in candidates])
    return columns


def _rank(means: np.ndarray, complete: np.ndarray) -> np.ndarray:
    """Ranks (1 = best, ties share the lowest): complete candidates first, then stopped ones, NaN last."""
    group = np.where(np.isnan(means), 2, np.where(complete, 0, 1))
    order = np.lexsort((-np.nan_to_num(means, nan=0.0), group))
    ranks = np.empty(len(means), dtype=np.int32)
    for position, index in enumerate(order):
        previous = order[position - 1] if position else None
        tied = previous is not None and group[previous] == group[index] and means[previous] == means[index]
        ranks[index] = ranks[previous] if tied else position + 1
    return ranks


def _mean_std(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each row over its completed folds (NaN for a row with none)."""
    counts = np.sum(~np.isnan(rows), axis=1)
    filled = np.nan_to_num(rows, nan=0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=1) / counts
        std = np.sqrt(np.nan_to_num((rows - mean[:, None]) ** 2, nan=0.0).sum(axis=1) / counts)
    return mean, std


def build_cv_results(records: Sequence[Any], n_splits: int, lookup: Mapping[str, list[Any]]) -> dict[str, Any]:
    """GridSearchCV's ``cv_results_`` columns from the sweep's trials (one candidate each), plus two of our own.

    ``n_completed_folds`` counts the folds a candidate fit; ``stopped_early`` is
    True for one a policy stopped. A fold it never fit has a NaN
    ``split<k>_test_score``; its means and deviations cover the folds it fit.
    """
    records = sorted(records, key=lambda r: r.index)
    candidates = [_decode(r.params, lookup) for r in records]
    scores = np.array([_padded(r.series(SPLIT_SCORE), n_splits) for r in records]).reshape(len(records), n_splits)
    done = np.array([len(r.series(SPLIT_SCORE)) for r in records], dtype=int)
    results: dict[str, Any] = {}
    for key, name in (("fit_time", FIT_TIME), ("score_time", SCORE_TIME)):
        times = np.array([_padded(r.series(name), n_splits) for r in records]).reshape(len(records), n_splits)
        results[f"mean_{key}"], results[f"std_{key}"] = _mean_std(times)
    results.update(_param_arrays(candidates))
    results["params"] = candidates
    for k in range(n_splits):
        results[f"split{k}_test_score"] = scores[:, k]
    results["mean_test_score"], results["std_test_score"] = _mean_std(scores)
    results["rank_test_score"] = _rank(results["mean_test_score"], done == n_splits)
    results["n_completed_folds"] = done
    results["stopped_early"] = np.array([r.status.value == "StoppedEarly" for r in records])
    return results


# --------------------------------------------------------------------------- the estimator


def _check_refit(search: SweepSearchCV, attr: str) -> None:
    if not search.refit:
        raise AttributeError(
            f"This {type(search).__name__} instance was initialized with refit=False. {attr} is available only "
            "after refitting on the best parameters; set refit=True to use it."
        )


def _estimator_has(attr: str) -> Callable[[SweepSearchCV], bool]:
    """For ``available_if``: the refitted best estimator (else the unfitted one) has ``attr`` (as BaseSearchCV)."""

    def check(search: SweepSearchCV) -> bool:
        _check_refit(search, attr)
        getattr(search.best_estimator_ if hasattr(search, "best_estimator_") else search.estimator, attr)
        return True

    return check


def _estimator_error(error: SweepFailedError) -> Exception:
    """The exception the estimator raised in the failed trials (its builtin type, e.g. ``ValueError``) with the
    traceback, so that callers and scikit-learn's checks see a bad input as they would from ``fit`` itself."""
    text = str(getattr(error.first, "error", None) or error)
    last = next((line for line in reversed(text.splitlines()) if line.strip()), "")
    kind = getattr(builtins, last.split(":")[0].strip(), None)
    if not (isinstance(kind, type) and issubclass(kind, Exception)):
        kind = ValueError
    return kind(f"SweepSearchCV: the candidates' fits failed ({error}); the first failure:\n{text}")


def _seed(random_state: Any) -> int | None:
    """An int seed for the sampler: ``None`` stays ``None``, a RandomState gives a draw (as sklearn does)."""
    if random_state is None or isinstance(random_state, (int, np.integer)):
        return None if random_state is None else int(random_state)
    return int(check_random_state(random_state).randint(2**31 - 1))


class SweepSearchCV(MetaEstimatorMixin, BaseEstimator):
    """Search hyperparameters of a scikit-learn estimator with a hyperwidget sweep, one trial per candidate.

    A drop-in for :class:`~sklearn.model_selection.RandomizedSearchCV`, with any
    hyperwidget sampler and early termination across folds: after each fold the
    candidate's trial logs the mean score of the folds so far, so ``policy``
    can stop a hopeless candidate before its last folds.

    Parameters
    ----------
    estimator : estimator object
        Cloned for every fold; a ``Pipeline`` takes ``step__param`` names.
    param_distributions : dict
        Parameter name -> hyperwidget expression (``log_uniform(1e-3, 1e2)``,
        ``intrange(1, 10)``, ...), list (becomes ``choice``; estimators and
        other objects are allowed) or frozen scipy.stats distribution
        (``uniform``, ``loguniform``/``reciprocal`` and ``randint`` become
        ``uniform``, ``log_uniform`` and ``intrange``, which every sampler takes;
        any other is drawn with its own ``rvs``, which only ``sampler="random"``
        does: the others refuse it, naming the parameter). A list of dicts is refused.
    n_trials : int
        Candidates to evaluate (``n_iter`` of RandomizedSearchCV).
    sampler : str
        A name of ``hyperwidget.samplers.SAMPLERS`` (``"bayesian"``, ``"random"``,
        ``"sobol"``, ``"grid"``), optionally with keywords: ``"bayesian(n_initial=5)"``.
    policy : EarlyTerminationPolicy or str, optional
        Stops candidates early; its evaluation intervals are the folds (interval
        ``k`` is the mean of the first ``k`` fold scores). E.g.
        ``BanditPolicy(slack_amount=0.05, delay_evaluation=2)``. ``None``: every candidate runs every fold.
    cv : int, cross-validation generator or iterable
        As in scikit-learn (``check_cv``): 5 by default, stratified for classifiers.
    scoring : str or callable, optional
        One scorer (``check_scoring``); ``None`` uses the estimator's ``score``.
        Multi-metric scoring (a list or dict) is refused.
    refit : bool or callable
        Refit the best candidate on all of ``X`` (``best_estimator_``); a callable
        takes ``cv_results_`` and returns the best index, as in scikit-learn.
    max_concurrent_runs : int, optional
        Candidates cross-validated at once (default: ``run_sweep``'s, one per core).
    backend : {"threads", "loky", "sequential", "dask"}
        Where candidates run. ``"threads"`` (default) shares ``X`` and ``y`` with
        the trials; ``"loky"`` pickles the estimator and the data to each worker
        process, which costs more on small and medium data (see the README's benchmark).
    random_state : int, RandomState or None
        Seeds the sampler (and nothing else: ``cv`` and ``estimator`` keep their own).
    storage : str, path or None
        Where the sweep is recorded (``run_sweep``'s ``storage``); ``None`` (default) keeps it in memory.

    Attributes
    ----------
    cv_results_ : dict of numpy arrays
        GridSearchCV's keys (``params``, ``param_<name>``, ``split<k>_test_score``,
        ``mean_test_score``, ``std_test_score``, ``rank_test_score``,
        ``mean_fit_time``, ``std_fit_time``, ``mean_score_time``,
        ``std_score_time``), plus ``n_completed_folds`` and ``stopped_early``.
        A candidate a policy stopped has NaN scores for the folds it did not fit;
        its mean covers the folds it fit. Ranking: candidates that ran every
        fold come first (by mean), then stopped ones (by their partial mean),
        then those without a score (failed) last.
    best_estimator_, best_params_, best_score_, best_index_ : as in RandomizedSearchCV
    refit_time_ : float
        Seconds to refit the best candidate on all of ``X``.
    n_splits_ : int
        The number of folds.
    scorer_ : callable
    sweep_run_ : SweepRun
        The sweep: one child run per candidate, with its logged values.

    Notes
    -----
    The sweep's own "best" (``sweep_run_.get_best_run_by_primary_metric()``, the
    monitor's best column) is the best *logged* value, which can be a partial
    mean of a candidate's first folds; ``best_score_`` is the full mean.
    A fit that raises makes its candidate's trial ``Failed`` (NaN scores, traceback
    in ``sweep_run_``); when the first trials all fail the same way the sweep
    raises ``SweepFailedError`` (there is no ``error_score``).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from hyperwidget import log_uniform
    >>> X, y = load_iris(return_X_y=True)
    >>> search = SweepSearchCV(
    ...     LogisticRegression(max_iter=500),
    ...     {"C": log_uniform(1e-2, 1e2)},
    ...     n_trials=4,
    ...     sampler="random",
    ...     cv=3,
    ...     backend="sequential",
    ...     random_state=0,
    ... ).fit(X, y)
    >>> sorted(search.best_params_), len(search.cv_results_["params"]), search.n_splits_
    (['C'], 4, 3)
    >>> search.score(X, y) > 0.9
    True
    """

    def __init__(
        self,
        estimator: Any,
        param_distributions: Mapping[str, Any],
        *,
        n_trials: int = 10,
        sampler: str = "bayesian",
        policy: Any = None,
        cv: Any = 5,
        scoring: Any = None,
        refit: bool | Callable[[dict[str, Any]], int] = True,
        max_concurrent_runs: int | None = None,
        backend: str = "threads",
        random_state: Any = None,
        storage: Any = None,
    ) -> None:
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.n_trials = n_trials
        self.sampler = sampler
        self.policy = policy
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.max_concurrent_runs = max_concurrent_runs
        self.backend = backend
        self.random_state = random_state
        self.storage = storage

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = deepcopy(inner.classifier_tags)
        tags.regressor_tags = deepcopy(inner.regressor_tags)
        tags.target_tags = deepcopy(inner.target_tags)  # multi-output when the estimator is
        tags.input_tags.pairwise = inner.input_tags.pairwise  # lets the folds see a 'precomputed' kernel
        tags.input_tags.sparse = inner.input_tags.sparse
        return tags

    def fit(self, X: Any, y: Any = None, *, groups: Any = None, **fit_params: Any) -> SweepSearchCV:
        """Run the sweep over ``param_distributions`` (one trial per candidate), then refit the best.

        Parameters
        ----------
        X, y : array-like
            Training data; ``y`` is ``None`` for unsupervised estimators.
        groups : array-like, optional
            Group labels for a group-aware ``cv`` splitter.
        **fit_params
            Passed to the estimator's ``fit`` (sample-aligned ones are split with the folds).

        Returns
        -------
        self
        """
        scorer = self._scorer()
        space, lookup = to_search_space(self.param_distributions, self._sampler_spec())
        X, y, groups = indexable(X, y, groups)
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        splits = list(cv.split(X, y, groups))
        objective = _CrossValidation(self.estimator, X, y, splits, scorer, fit_params, lookup)
        try:
            self.sweep_run_ = run_sweep(objective, space, metric=METRIC, goal="maximize", **self._sweep_settings())
        except SweepFailedError as error:
            raise _estimator_error(error) from error
        self.n_splits_, self.scorer_, self.multimetric_ = len(splits), scorer, False
        self.cv_results_ = build_cv_results(self.sweep_run_.trials, len(splits), lookup)
        self._select_best()
        if self.refit:
            self._refit_best(X, y, fit_params)
        return self

    def __getstate__(self) -> dict[str, Any]:
        """Pickle ``sweep_run_`` as a read-only :class:`~hyperwidget.results.SweepResults` (no engine, no locks)."""
        state = super().__getstate__()
        run = state.get("sweep_run_")
        if run is not None and type(run) is not SweepResults:
            state["sweep_run_"] = SweepResults(
                run.name, run.metric, run.goal, run.trials, run.constraints, run.status, run.runs_dir
            )
        return state

    def _scorer(self) -> Callable[..., float]:
        if isinstance(self.scoring, (list, tuple, set, dict)):
            raise SweepConfigError(
                f"SweepSearchCV: multi-metric scoring is not supported, got scoring={self.scoring!r}; give one "
                "scorer (a name such as 'accuracy' or a callable) and compute the others on best_estimator_."
            )
        return check_scoring(self.estimator, scoring=self.scoring)

    def _sampler_spec(self) -> str:
        if not isinstance(self.sampler, str):
            raise SweepConfigError(
                f"SweepSearchCV: sampler must be a sampler name such as 'bayesian', 'random', 'sobol' or "
                f"'grid(...)', got {self.sampler!r}; the estimator builds the sampler over param_distributions."
            )
        return self.sampler

    def _sweep_settings(self) -> dict[str, Any]:
        settings = {
            "max_total_runs": self.n_trials,
            "max_concurrent_runs": self.max_concurrent_runs,
            "sampler": self._sampler_spec(),
            "policy": self.policy,
            "backend": self.backend,
            "seed": _seed(self.random_state),
        }
        return {"storage": self.storage, **{k: v for k, v in settings.items() if v is not None}}

    def _select_best(self) -> None:
        results = self.cv_results_
        if callable(self.refit):
            self.best_index_ = int(self.refit(results))
        else:
            self.best_index_ = int(np.argmin(results["rank_test_score"]))
        self.best_params_ = results["params"][self.best_index_]
        self.best_score_ = float(results["mean_test_score"][self.best_index_])

    def _refit_best(self, X: Any, y: Any, fit_params: Mapping[str, Any]) -> None:
        estimator = clone(self.estimator).set_params(**clone(self.best_params_, safe=False))
        start = time.perf_counter()
        estimator.fit(X, **fit_params) if y is None else estimator.fit(X, y, **fit_params)
        self.refit_time_ = time.perf_counter() - start
        self.best_estimator_ = estimator

    @property
    def classes_(self) -> Any:
        """The class labels (classifiers with ``refit=True``)."""
        _check_refit(self, "classes_")
        return self.best_estimator_.classes_

    @property
    def n_features_in_(self) -> int:
        """The number of features seen by the refitted best estimator."""
        check_is_fitted(self)
        _check_refit(self, "n_features_in_")
        return int(self.best_estimator_.n_features_in_)

    def score(self, X: Any, y: Any = None) -> float:
        """The refitted best estimator's score on ``X``, ``y`` with ``scoring`` (or its own ``score``)."""
        _check_refit(self, "score")
        check_is_fitted(self)
        return float(self.scorer_(self.best_estimator_, X, y))

    @available_if(_estimator_has("predict"))
    def predict(self, X: Any) -> Any:
        """``best_estimator_.predict(X)``."""
        check_is_fitted(self)
        return self.best_estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X: Any) -> Any:
        """``best_estimator_.predict_proba(X)``."""
        check_is_fitted(self)
        return self.best_estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X: Any) -> Any:
        """``best_estimator_.predict_log_proba(X)``."""
        check_is_fitted(self)
        return self.best_estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X: Any) -> Any:
        """``best_estimator_.decision_function(X)``."""
        check_is_fitted(self)
        return self.best_estimator_.decision_function(X)

    @available_if(_estimator_has("transform"))
    def transform(self, X: Any) -> Any:
        """``best_estimator_.transform(X)``."""
        check_is_fitted(self)
        return self.best_estimator_.transform(X)

    @available_if(_estimator_has("inverse_transform"))
    def inverse_transform(self, X: Any) -> Any:
        """``best_estimator_.inverse_transform(X)``."""
        check_is_fitted(self)
        return self.best_estimator_.inverse_transform(X)
