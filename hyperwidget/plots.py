"""Matplotlib figures of a sweep: pure functions of its trial records.

Every plot takes a *results* object: anything with ``.trials`` (a list of
:class:`~hyperwidget.trial.TrialRecord`), ``.metric`` (the primary metric's name)
and ``.goal`` (a :class:`~hyperwidget.trial.Goal` or ``"maximize"``/``"minimize"``),
such as a ``SweepRun`` -- also while it is still running.

As in optuna's ``visualization`` package, each plot first computes its data in a
small ``*_info`` function returning a NamedTuple (testable numbers, no
matplotlib), then draws it. Each ``plot_*`` function draws into ``ax`` when given
and returns its Figure; otherwise it returns a new Figure that is *not* left
open in pyplot, so a notebook shows it once (as the cell's value) rather than
twice; save it with ``fig.savefig(...)``. matplotlib is imported only when drawing.

A trial's *value* is its best value of the primary metric (HyperDrive's
``best_primary_metric``); failed trials (also those whose metric ended as NaN)
and trials breaking a constraint (``results.is_feasible``, when present) have
none, as in ``get_best_run_by_primary_metric``. The parameter plots show
finished trials only. The Pareto front pairs the *last* values of two metrics
of completed and early-stopped trials, as ``SweepResults.pareto_front`` does,
so both values come from the same point of training.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from hyperwidget.names import flat_params
from hyperwidget.results import best_so_far, trial_value
from hyperwidget.trial import Goal, TrialRecord, TrialStatus

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from hyperwidget.policies import ReplayReport

_X_CHOICES = ("trial", "time")
_MAX_VALUE_TICKS = 12  # a discrete numeric axis with more values gets evenly spaced ticks instead


# --------------------------------------------------------------------------------------------- helpers


def _goal(results: Any) -> Goal:
    return Goal.parse(results.goal)


def _finished(results: Any) -> list[TrialRecord]:
    """Finished trials in completion order (end time, then index)."""
    done = [t for t in results.trials if t.status.is_finished]
    return sorted(done, key=lambda t: (t.ended_at if t.ended_at is not None else math.inf, t.index))


def _feasible(results: Any, trial: TrialRecord) -> bool:
    check = getattr(results, "is_feasible", None)
    return bool(check(trial)) if callable(check) else True


def _value(results: Any, trial: TrialRecord) -> float:
    """The trial's best primary-metric value; ``nan`` for failed or infeasible trials (``results.trial_value``)."""
    return trial_value(trial, results.metric, _goal(results), lambda t: _feasible(results, t))


def _is_number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)) or _is_numpy_number(value)


def _is_numpy_number(value: Any) -> bool:
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    return kind in ("i", "u", "f") and getattr(value, "ndim", 1) == 0


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    import matplotlib.pyplot as plt

    fig, new_ax = plt.subplots(figsize=figsize, layout="constrained")
    plt.close(fig)  # returned, not left in pyplot's list: a notebook shows it once
    return fig, new_ax


def _no_data(ax: Axes, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="0.4")


# ----------------------------------------------------------------------------------------- best so far


class BestSoFarInfo(NamedTuple):
    """Anytime performance: each finished trial's value and the best value so far.

    ``x`` is the number of finished trials (1, 2, ...; failed ones count, they
    used budget) or the seconds from the sweep's first start to each trial's end.
    ``values`` is ``nan`` for a trial without a finite value; ``best`` is the
    running best (``nan`` until the first finite value).
    """

    x: list[float]
    values: list[float]
    best: list[float]
    trial_ids: list[str]
    x_label: str
    metric: str


def best_so_far_info(results: Any, x: str = "trial") -> BestSoFarInfo:
    """The data of :func:`plot_best_so_far`."""
    if x not in _X_CHOICES:
        raise ValueError(f"plot_best_so_far: x must be one of {_X_CHOICES}, got x={x!r}.")
    metric = results.metric
    points = best_so_far(results.trials, metric, _goal(results), lambda t: _feasible(results, t))
    trials = [p.trial for p in points]
    values = [p.value for p in points]
    best = [p.best for p in points]
    if x == "trial":
        xs = [float(i) for i in range(1, len(trials) + 1)]
        label = "finished trials"
    else:
        starts = [t.started_at or t.created_at for t in results.trials]
        origin = min(starts) if starts else 0.0
        xs = [(t.ended_at if t.ended_at is not None else origin) - origin for t in trials]
        label = "seconds since the sweep started"
    return BestSoFarInfo(xs, values, best, [t.id for t in trials], label, metric)


class MethodBestInfo(NamedTuple):
    """Anytime performance of one method over several sweeps (e.g. seeds): a centre line and a band.

    ``x`` is a common grid (finished trials 1..n, or seconds), up to where the
    shortest of the method's sweeps ends, so every sweep counts at every point.
    ``center`` is the median (or mean) over sweeps of their best-so-far values,
    ``low``/``high`` the band's quantiles; ``nan`` where no sweep has a value yet.
    """

    method: str
    x: list[float]
    center: list[float]
    low: list[float]
    high: list[float]
    sweeps: int
    x_label: str
    metric: str


_TIME_POINTS = 200  # grid points of the wall-clock axis when methods are compared


def methods_best_so_far_info(
    methods: Mapping[str, Sequence[Any]],
    x: str = "trial",
    stat: str = "median",
    band: tuple[float, float] = (0.25, 0.75),
) -> list[MethodBestInfo]:
    """The data of :func:`plot_best_so_far` when sweeps are grouped by method."""
    _check_grouping(methods, stat, band)
    infos = []
    for method, sweeps in methods.items():
        per_sweep = [best_so_far_info(r, x) for r in sweeps]
        grid = _common_grid([i.x for i in per_sweep], x)
        stacked = np.array([_step_at(i.x, i.best, grid) for i in per_sweep]).reshape(len(per_sweep), len(grid))
        center, low, high = _summarise(stacked, stat, band)
        label = per_sweep[0].x_label
        infos.append(MethodBestInfo(str(method), grid, center, low, high, len(sweeps), label, per_sweep[0].metric))
    return infos


def _check_grouping(methods: Mapping[str, Sequence[Any]], stat: str, band: tuple[float, float]) -> None:
    if stat not in ("median", "mean"):
        raise ValueError(f"plot_best_so_far: stat must be 'median' or 'mean', got stat={stat!r}.")
    low, high = band
    if not 0 <= low < high <= 1:
        raise ValueError(f"plot_best_so_far: band must be two quantiles 0 <= low < high <= 1, got band={band!r}.")
    if not methods:
        raise ValueError("plot_best_so_far: no methods given; pass e.g. {'random': [run1, run2], 'bayesian': [...]}.")
    first = None
    for method, sweeps in methods.items():
        if isinstance(sweeps, (str, bytes)) or not isinstance(sweeps, Sequence) or not sweeps:
            raise ValueError(
                f"plot_best_so_far: method {method!r} needs a non-empty list of sweeps (one per seed), got {sweeps!r}."
            )
        for sweep in sweeps:
            key = (sweep.metric, _goal(sweep))
            first = first or key
            if key != first:
                raise ValueError(
                    f"plot_best_so_far: every sweep must share one metric and goal to be compared; "
                    f"{getattr(sweep, 'name', sweep)!r} has {key[0]!r} ({key[1].value}), another has "
                    f"{first[0]!r} ({first[1].value})."
                )


def _common_grid(xs: Sequence[Sequence[float]], x: str) -> list[float]:
    """Grid points every sweep reaches: up to the shortest sweep's last finished trial (or end time)."""
    ends = [seq[-1] if seq else 0.0 for seq in xs]
    end = min(ends)
    if end <= 0:
        return []
    if x == "trial":
        return [float(i) for i in range(1, int(end) + 1)]
    return [float(v) for v in np.linspace(0.0, end, _TIME_POINTS)]


def _step_at(xs: Sequence[float], best: Sequence[float], grid: Sequence[float]) -> list[float]:
    """The step function ``best`` (constant after each ``xs``) read at ``grid``; ``nan`` before its first point."""
    at = np.searchsorted(np.asarray(xs, dtype=float), np.asarray(grid, dtype=float), side="right") - 1
    values = np.asarray(best, dtype=float)
    return [float(values[i]) if i >= 0 else math.nan for i in at]


def _summarise(
    stacked: np.ndarray, stat: str, band: tuple[float, float]
) -> tuple[list[float], list[float], list[float]]:
    """Centre and band over sweeps (rows), per grid point; ``nan`` where no sweep has a value."""
    if stacked.size == 0:
        return [], [], []
    center, low, high = (np.full(stacked.shape[1], np.nan) for _ in range(3))
    seen = np.isfinite(stacked).any(axis=0)
    if seen.any():
        cols = stacked[:, seen]
        center[seen] = np.nanmedian(cols, axis=0) if stat == "median" else np.nanmean(cols, axis=0)
        low[seen], high[seen] = np.nanquantile(cols, band, axis=0)
    return center.tolist(), low.tolist(), high.tolist()


def plot_best_so_far(
    results: Any,
    x: str = "trial",
    ax: Axes | None = None,
    *,
    stat: str = "median",
    band: tuple[float, float] = (0.25, 0.75),
) -> Figure:
    """Best value of the primary metric so far, against finished trials or wall-clock time.

    Parameters
    ----------
    results : SweepRun or similar, a list of them, or a dict of method -> list of them
        Anything with ``.trials``, ``.metric`` and ``.goal``. A list draws one
        best-so-far line per sweep (labelled with its ``.name``) to compare them,
        e.g. two samplers on the same problem; they should share metric and goal.
        A dict groups sweeps by method (``{"random": [seed0, seed1, ...],
        "bayesian": [...]}``, the d2l chapter's comparison over seeds) and draws,
        per method, the ``stat`` of the sweeps' best-so-far values with a shaded
        band between the ``band`` quantiles, up to where the method's shortest
        sweep ends.
    x : {"trial", "time"}
        Horizontal axis: number of finished trials, or seconds since the sweep started.
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.
    stat : {"median", "mean"}
        The centre line of a method (dict input only).
    band : (float, float)
        The quantiles bounding a method's shaded band (dict input only); (0.25, 0.75) by default.

    Examples
    --------
    >>> from hyperwidget import run_sweep, uniform
    >>> def f(x):
    ...     return {"loss": (x - 0.3) ** 2}
    >>> runs = {
    ...     m: [
    ...         run_sweep(
    ...             f,
    ...             {"x": uniform(0, 1)},
    ...             metric="loss",
    ...             goal="minimize",
    ...             sampler=m,
    ...             seed=s,
    ...             max_total_runs=8,
    ...             backend="threads",
    ...             storage=None,
    ...         )
    ...         for s in range(3)
    ...     ]
    ...     for m in ("random", "sobol")
    ... }
    >>> fig = plot_best_so_far(runs)  # a median line and an interquartile band per method
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['random (3 sweeps)', 'sobol (3 sweeps)']
    """
    if isinstance(results, Mapping):
        return _plot_methods(methods_best_so_far_info(results, x, stat, band), results, stat, band, ax)
    sweeps = list(results) if isinstance(results, (list, tuple)) else [results]
    if not sweeps:
        raise ValueError("plot_best_so_far: results is an empty list; pass a sweep or a list of sweeps.")
    infos = [best_so_far_info(r, x) for r in sweeps]
    fig, ax = _new_axes(ax, (7, 4))
    if len(infos) == 1:
        _draw_single_best(ax, infos[0])
    else:
        for sweep, info in zip(sweeps, infos, strict=True):
            ax.step(info.x, info.best, where="post", lw=2, label=str(getattr(sweep, "name", "sweep")))
        ax.legend(loc="best", fontsize=9)
    ax.set_xlabel(infos[0].x_label)
    ax.set_ylabel(f"{infos[0].metric} ({_goal(sweeps[0]).value})")
    ax.set_title("Best so far", fontsize=10)
    return fig


def _plot_methods(
    infos: list[MethodBestInfo],
    methods: Mapping[str, Sequence[Any]],
    stat: str,
    band: tuple[float, float],
    ax: Axes | None,
) -> Figure:
    fig, ax = _new_axes(ax, (7, 4))
    for info in infos:
        (line,) = ax.step(
            info.x,
            info.center,
            where="post",
            lw=2,
            label=f"{info.method} ({info.sweeps} sweep{'s' if info.sweeps != 1 else ''})",
        )
        ax.fill_between(info.x, info.low, info.high, step="post", alpha=0.2, color=line.get_color(), lw=0)
    if not any(info.x for info in infos):
        _no_data(ax, "no sweep has a finished trial yet")
    ax.legend(loc="best", fontsize=9)
    first = next(iter(methods.values()))[0]
    ax.set_xlabel(infos[0].x_label)
    ax.set_ylabel(f"{infos[0].metric} ({_goal(first).value})")
    ax.set_title(f"Best so far: {stat} over sweeps, band {band[0]:g}-{band[1]:g} quantiles", fontsize=10)
    return fig


def _draw_single_best(ax: Axes, info: BestSoFarInfo) -> None:
    points = [(px, v) for px, v in zip(info.x, info.values, strict=True) if math.isfinite(v)]
    if not points:
        _no_data(ax, f"no finished trial has a value of {info.metric!r} yet")
        return
    xs, ys = zip(*points, strict=True)
    ax.scatter(xs, ys, s=18, color="tab:blue", alpha=0.6, label="trial value")
    ax.step(info.x, info.best, where="post", color="tab:red", lw=2, label="best so far")
    ax.legend(loc="best", fontsize=9)


# ------------------------------------------------------------------------------------- learning curves


class CurveInfo(NamedTuple):
    """One trial's series: ``steps`` are the evaluation intervals 1, 2, ..."""

    trial_id: str
    steps: list[int]
    values: list[float]
    status: TrialStatus
    stopped: bool
    best: bool


class LearningCurvesInfo(NamedTuple):
    """Every trial that logged ``metric``, in creation order."""

    metric: str
    curves: list[CurveInfo]


def learning_curves_info(results: Any, metric: str | None = None) -> LearningCurvesInfo:
    """The data of :func:`plot_learning_curves`; ``best`` marks the best trial by the primary metric."""
    metric = metric or results.metric
    goal = _goal(results)
    trials = sorted((t for t in results.trials if t.series(metric)), key=lambda t: t.index)
    values = [_value(results, t) for t in trials]
    best_value = goal.best_of(values)
    best_index = next((i for i, v in enumerate(values) if v == best_value), None)
    curves = [
        CurveInfo(
            t.id,
            list(range(1, len(t.series(metric)) + 1)),
            [float(v) for v in t.series(metric)],
            t.status,
            t.status is TrialStatus.STOPPED_EARLY,
            i == best_index,
        )
        for i, t in enumerate(trials)
    ]
    return LearningCurvesInfo(metric, curves)


def plot_learning_curves(results: Any, metric: str | None = None, ax: Axes | None = None) -> Figure:
    """Every trial's series of ``metric`` (the primary metric by default); stopped trials marked.

    Trials stopped early by the policy are grey with a red ``x`` where they were
    stopped; the best trial is drawn thicker.
    """
    info = learning_curves_info(results, metric)
    fig, ax = _new_axes(ax, (7, 4))
    for curve in info.curves:
        _draw_curve(ax, curve)
    if info.curves:
        _curve_legend(ax, any(c.stopped for c in info.curves))
    else:
        _no_data(ax, f"no trial has logged {info.metric!r} yet")
    ax.set_xlabel("evaluation interval (values logged)")
    ax.set_ylabel(info.metric)
    ax.set_title("Learning curves", fontsize=10)
    return fig


def _draw_curve(ax: Axes, curve: CurveInfo) -> None:
    if curve.stopped:
        ax.plot(curve.steps, curve.values, color="0.6", lw=1, alpha=0.8)
        ax.plot(curve.steps[-1:], curve.values[-1:], "x", color="tab:red", ms=7, mew=2)
    elif curve.best:
        ax.plot(curve.steps, curve.values, color="tab:green", lw=2.5, zorder=3)
    else:
        ax.plot(curve.steps, curve.values, color="tab:blue", lw=1, alpha=0.7)


def _curve_legend(ax: Axes, any_stopped: bool) -> None:
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color="tab:blue", lw=1, label="trial"),
        Line2D([], [], color="tab:green", lw=2.5, label="best trial"),
    ]
    if any_stopped:
        handles.append(Line2D([], [], color="0.6", marker="x", mec="tab:red", mew=2, label="stopped early"))
    ax.legend(handles=handles, loc="best", fontsize=9)


# --------------------------------------------------------------------------------- parameter relations


def _param_names(trials: Sequence[TrialRecord], params: Sequence[str] | None, owner: str) -> list[str]:
    """``params`` checked against the trials, or every parameter taking more than one value."""
    known: dict[str, list[Any]] = {}
    for t in trials:
        for name, value in flat_params(t.params).items():
            known.setdefault(name, []).append(value)
    if params is not None:
        unknown = [p for p in params if p not in known]
        if unknown:
            raise ValueError(f"{owner}: unknown params {unknown}; the trials have: {sorted(known)}.")
        return list(params)
    return [n for n, values in known.items() if len({repr(v) for v in values}) > 1]


def _scored(results: Any) -> list[tuple[TrialRecord, float]]:
    """Finished trials with a value, in creation order."""
    finished = sorted((t for t in results.trials if t.status.is_finished), key=lambda t: t.index)
    pairs = [(t, _value(results, t)) for t in finished]
    return [(t, v) for t, v in pairs if math.isfinite(v)]


class AxisInfo(NamedTuple):
    """One vertical axis of a parallel-coordinates plot.

    ``positions`` are the trials' places on the axis in [0, 1]; ``ticks`` and
    ``tick_labels`` label it in the parameter's own units. Numbers spanning 100x
    or more (all positive) get a log axis; non-numbers are categories, evenly spaced.
    """

    name: str
    positions: list[float]
    ticks: list[float]
    tick_labels: list[str]
    categorical: bool
    log: bool


class ParallelCoordinatesInfo(NamedTuple):
    """Parameter axes then the metric axis; one line per trial with a finite value."""

    axes: list[AxisInfo]
    values: list[float]
    trial_ids: list[str]
    metric: str
    goal: Goal


def _is_log(values: Sequence[float]) -> bool:
    return min(values) > 0 and max(values) / min(values) >= 100


def _format(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _declared(results: Any) -> Mapping[str, Any]:
    """The sweep's search space when the results carry it (a running or finished ``SweepRun``)."""
    space = getattr(getattr(getattr(results, "config", None), "sampler", None), "space", None)
    if not isinstance(space, Mapping):
        return {}
    return {**space, **dict(zip(getattr(space, "names", ()), getattr(space, "expressions", ()), strict=True))}


def _category_order(raw: Sequence[Any], expression: Any) -> list[Any]:
    """The distinct values: in ``choice(...)`` order when declared, else sorted by their text."""
    distinct = {repr(v): v for v in raw}
    declared = expression.grid_values() if hasattr(expression, "grid_values") else None
    if declared:
        ordered = [distinct[repr(v)] for v in declared if repr(v) in distinct]
        return ordered + [v for k, v in distinct.items() if k not in {repr(d) for d in declared}]
    return sorted(distinct.values(), key=repr)


def _axis(name: str, raw: Sequence[Any], allow_log: bool = True, expression: Any = None) -> AxisInfo:
    """Place ``raw`` values on [0, 1]; the declared expression decides log scale, category order and ticks."""
    if not all(_is_number(v) for v in raw):
        return _categorical_axis(name, raw, expression)
    numbers = [float(v) for v in raw]
    declared_log = getattr(expression, "is_log", None)
    log = allow_log and min(numbers) > 0 and (declared_log if declared_log is not None else _is_log(numbers))
    scale = math.log10 if log else float
    choices = _numeric_choices(expression)
    low, high = min(map(scale, numbers + choices)), max(map(scale, numbers + choices))
    span = high - low

    def place(v: float) -> float:
        return (scale(v) - low) / span if span else 0.5

    if choices:  # a discrete axis: a tick at each value it can take, labelled with that value
        return AxisInfo(name, [place(v) for v in numbers], [place(c) for c in choices], _labels(choices), False, log)
    ticks = [0.0, 0.25, 0.5, 0.75, 1.0] if span else [0.5]
    tick_values = [low + t * span for t in ticks] if span else [low]
    labels = [_format(10**v if log else v) for v in tick_values]
    return AxisInfo(name, [place(v) for v in numbers], ticks, labels, False, log)


def _categorical_axis(name: str, raw: Sequence[Any], expression: Any) -> AxisInfo:
    categories = _category_order(raw, expression)
    labels = [repr(c) if not isinstance(c, str) else c for c in categories]
    spots = [i / (len(categories) - 1) if len(categories) > 1 else 0.5 for i in range(len(categories))]
    where = {repr(c): s for c, s in zip(categories, spots, strict=True)}
    return AxisInfo(name, [where[repr(v)] for v in raw], spots, labels, True, False)


def _numeric_choices(expression: Any) -> list[Any]:
    """The declared values of a small, finite numeric expression (``choice(2, 5, 8)``), sorted; else ``[]``.

    Only these axes get a tick per value: ticks between two choices (3.5 between 2
    and 5) would name values the parameter can never take.
    """
    values = expression.grid_values() if hasattr(expression, "grid_values") else None
    if not values or len(values) > _MAX_VALUE_TICKS or not all(_is_number(v) for v in values):
        return []
    return sorted(values)


def _labels(values: Sequence[Any]) -> list[str]:
    return [_format(v.item() if _is_numpy_number(v) else v) for v in values]


def parallel_coordinates_info(results: Any, params: Sequence[str] | None = None) -> ParallelCoordinatesInfo:
    """The data of :func:`plot_parallel_coordinates`."""
    scored = _scored(results)
    names = _param_names([t for t, _ in scored], params, "plot_parallel_coordinates")
    flat = {t.id: flat_params(t.params) for t, _ in scored}
    # A trial lacking a parameter (of a branch it did not take) keeps its line, with a gap at that axis.
    scored = [(t, v) for t, v in scored if not names or any(n in flat[t.id] for n in names)]
    declared = _declared(results)
    axes = [_gapped_axis(n, [flat[t.id].get(n, _ABSENT) for t, _ in scored], declared.get(n)) for n in names]
    axes = axes if scored else []
    values = [v for _, v in scored]
    if scored:
        axes.append(_axis(results.metric, values, allow_log=False))
    return ParallelCoordinatesInfo(axes, values, [t.id for t, _ in scored], results.metric, _goal(results))


_ABSENT = object()


def _gapped_axis(name: str, raw: Sequence[Any], expression: Any) -> AxisInfo:
    """:func:`_axis` of the values present; an absent value's position is ``nan`` (a gap in its line)."""
    present = [v for v in raw if v is not _ABSENT]
    axis = _axis(name, present, expression=expression)
    spots = iter(axis.positions)
    return axis._replace(positions=[math.nan if v is _ABSENT else next(spots) for v in raw])


def plot_parallel_coordinates(results: Any, params: Sequence[str] | None = None, ax: Axes | None = None) -> Figure:
    """One line per trial across the hyperparameter axes and the metric axis, coloured by the metric.

    The best values get the brightest colour whatever the goal.
    """
    info = parallel_coordinates_info(results, params)
    fig, ax = _new_axes(ax, (max(6.0, 1.6 * len(info.axes)), 4.5))
    if not info.values:
        _no_data(ax, f"no trial has a value of {info.metric!r} yet")
        return fig
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    cmap = colormaps["viridis" if info.goal is Goal.MAXIMIZE else "viridis_r"]
    norm = Normalize(min(info.values), max(info.values))
    xs = list(range(len(info.axes)))
    for i, value in sorted(enumerate(info.values), key=lambda p: info.goal.sign() * -p[1]):
        ax.plot(xs, [axis.positions[i] for axis in info.axes], color=cmap(norm(value)), alpha=0.8, lw=1.2)
    _draw_parallel_axes(ax, info.axes)
    fig.colorbar(_mappable(cmap, norm), ax=ax, label=info.metric, pad=0.02)
    ax.set_title("Parallel coordinates", fontsize=10)
    return fig


def _mappable(cmap: Any, norm: Any) -> Any:
    from matplotlib.cm import ScalarMappable

    return ScalarMappable(norm=norm, cmap=cmap)


def _draw_parallel_axes(ax: Axes, axes: list[AxisInfo]) -> None:
    """Each axis with its tick labels on the left, on a white box above the lines so they stay readable."""
    box = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}
    for x, axis in enumerate(axes):
        ax.axvline(x, color="0.3", lw=0.8)
        ax.plot([x] * len(axis.ticks), axis.ticks, ls="none", marker="_", ms=6, color="0.3", zorder=3)
        for tick, label in zip(axis.ticks, axis.tick_labels, strict=True):
            ax.text(x - 0.04, tick, label, fontsize=7, ha="right", va="center", color="0.2", bbox=box, zorder=4)
    ax.set_xticks(range(len(axes)), [a.name + (" (log)" if a.log else "") for a in axes], fontsize=9)
    ax.set_yticks([])
    ax.set_xlim(-0.45, len(axes) - 0.8)
    ax.set_ylim(-0.05, 1.05)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)


class SliceInfo(NamedTuple):
    """The metric against one parameter: ``x`` raw values (``positions`` for categories).

    ``choices`` are the values of a declared discrete numeric parameter (``choice(2, 5, 8)``),
    which get one tick each; ``[]`` otherwise.
    """

    name: str
    x: list[Any]
    positions: list[float]
    y: list[float]
    order: list[int]
    categories: list[str]
    log: bool
    choices: list[Any]


class SlicesInfo(NamedTuple):
    """One :class:`SliceInfo` per parameter."""

    metric: str
    slices: list[SliceInfo]


def slices_info(results: Any, params: Sequence[str] | None = None) -> SlicesInfo:
    """The data of :func:`plot_slices`: ``order`` is each point's trial index (for the colour)."""
    scored = _scored(results)
    names = _param_names([t for t, _ in scored], params, "plot_slices")
    declared = _declared(results)
    slices = []
    for name in names:
        pairs = [(t, v) for t, v in scored if name in flat_params(t.params)]
        raw = [flat_params(t.params)[name] for t, _ in pairs]
        axis = _axis(name, raw, expression=declared.get(name)) if raw else AxisInfo(name, [], [], [], False, False)
        positions = [float(v) for v in raw] if raw and not axis.categorical else axis.positions
        categories = axis.tick_labels if axis.categorical else []
        choices = [] if axis.categorical else _numeric_choices(declared.get(name))
        y, order = [v for _, v in pairs], [t.index for t, _ in pairs]
        slices.append(SliceInfo(name, raw, positions, y, order, categories, axis.log, choices))
    return SlicesInfo(results.metric, slices)


def plot_slices(results: Any, params: Sequence[str] | None = None) -> Figure:
    """The metric against each hyperparameter, one panel per parameter, coloured by trial order."""
    info = slices_info(results, params)
    import matplotlib.pyplot as plt

    count = max(1, len(info.slices))
    cols = min(count, 4)
    rows = math.ceil(count / cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(3.2 * cols, 3.0 * rows), sharey=True, squeeze=False, layout="constrained"
    )
    plt.close(fig)
    for panel, piece in zip(axes.flat, info.slices, strict=False):
        _draw_slice(panel, piece)
    for panel in list(axes.flat)[len(info.slices) :]:
        panel.set_visible(False)
    if not info.slices:
        axes.flat[0].set_visible(True)
        _no_data(axes.flat[0], f"no trial has a value of {info.metric!r} yet")
    for row in axes:
        row[0].set_ylabel(info.metric)
    fig.suptitle("Slices", fontsize=10)
    return fig


def _draw_slice(ax: Axes, piece: SliceInfo) -> None:
    ax.scatter(piece.positions, piece.y, c=piece.order, cmap="Blues", edgecolors="0.3", linewidths=0.4, s=22)
    if piece.categories:
        ticks = sorted(set(piece.positions))
        ax.set_xticks(ticks, piece.categories, fontsize=8)
        ax.set_xlim(-0.15, 1.15)
    elif piece.log:
        ax.set_xscale("log")
    if piece.choices:
        ax.set_xticks([float(c) for c in piece.choices], _labels(piece.choices), fontsize=8)
        ax.minorticks_off()
    ax.set_xlabel(piece.name)


# -------------------------------------------------------------------------------------------- pareto


class ParetoInfo(NamedTuple):
    """Finished trials' last values of two metrics and the non-dominated ones.

    ``front`` lists indices into ``trial_ids``/``x``/``y``, sorted by ``x``.
    """

    x_metric: str
    y_metric: str
    goals: tuple[Goal, Goal]
    trial_ids: list[str]
    x: list[float]
    y: list[float]
    front: list[int]


def _pareto_goals(
    results: Any, x_metric: str, y_metric: str, goals: Mapping[str, Any] | Sequence[Any] | None
) -> tuple[Goal, Goal]:
    if goals is not None and not isinstance(goals, Mapping):
        if len(goals) != 2:
            raise ValueError(f"plot_pareto_front: goals must have two entries (x, y), got goals={goals!r}.")
        return Goal.parse(goals[0], "goals[0]"), Goal.parse(goals[1], "goals[1]")
    given = dict(goals or {})
    if results.metric not in given:
        given[results.metric] = _goal(results)
    for name, goal in getattr(results, "objectives", ()):  # a multi-objective sweep knows every goal
        given.setdefault(name, goal)
    missing = [m for m in (x_metric, y_metric) if m not in given]
    if missing:
        raise ValueError(
            f"plot_pareto_front: the goal of {missing[0]!r} is unknown; pass it, e.g. "
            f"goals={{{missing[0]!r}: 'minimize'}}."
        )
    return Goal.parse(given[x_metric], f"goals[{x_metric!r}]"), Goal.parse(given[y_metric], f"goals[{y_metric!r}]")


def pareto_indices(losses: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point dominates (all coordinates are losses: smaller is better).

    A point dominates another when it is no worse in both coordinates and better
    in one; equal points do not dominate each other.
    """
    import numpy as np

    if not losses:
        return []
    pts = np.asarray(losses, dtype=float)
    no_worse = (pts[:, None, :] <= pts[None, :, :]).all(axis=2)
    better = (pts[:, None, :] < pts[None, :, :]).any(axis=2)
    dominated = (no_worse & better).any(axis=0)
    return [int(i) for i in np.flatnonzero(~dominated)]


def pareto_front_info(
    results: Any,
    x_metric: str | None = None,
    y_metric: str | None = None,
    goals: Mapping[str, Any] | Sequence[Any] | None = None,
) -> ParetoInfo:
    """The data of :func:`plot_pareto_front`."""
    x_metric, y_metric = _pareto_axes(results, x_metric, y_metric)
    gx, gy = _pareto_goals(results, x_metric, y_metric, goals)
    kept = (TrialStatus.COMPLETED, TrialStatus.STOPPED_EARLY)  # as SweepResults.pareto_front
    eligible = [t for t in _finished(results) if t.status in kept and _feasible(results, t)]
    rows = [(t.id, t.last(x_metric), t.last(y_metric)) for t in eligible]
    rows = [r for r in rows if math.isfinite(r[1]) and math.isfinite(r[2])]
    front = pareto_indices([(gx.sign() * x, gy.sign() * y) for _, x, y in rows])
    front.sort(key=lambda i: (rows[i][1], rows[i][2]))
    return ParetoInfo(
        x_metric, y_metric, (gx, gy), [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], front
    )


def _pareto_axes(results: Any, x_metric: str | None, y_metric: str | None) -> tuple[str, str]:
    """The two metrics of the plot: the given ones, else the sweep's first two objectives."""
    if x_metric is not None and y_metric is not None:
        return x_metric, y_metric
    objectives = [name for name, _ in getattr(results, "objectives", ())]
    if x_metric is not None or y_metric is not None or len(objectives) < 2:
        raise ValueError(
            "plot_pareto_front: name both metrics, e.g. plot_pareto_front(run, 'error', 'size'); only a sweep "
            "run with two or more objectives (metric=[...]) has default ones."
        )
    return objectives[0], objectives[1]


def plot_pareto_front(
    results: Any,
    x_metric: str | None = None,
    y_metric: str | None = None,
    goals: Mapping[str, Any] | Sequence[Any] | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Two logged metrics of every finished trial, with the Pareto front highlighted.

    Parameters
    ----------
    results : SweepRun or similar
        Anything with ``.trials``, ``.metric`` and ``.goal``.
    x_metric, y_metric : str, optional
        The metrics on each axis (each trial's last logged value); by default the
        first two objectives of a multi-objective sweep (``run_sweep(metric=[...])``).
        With three or more objectives the front drawn is that of the two shown.
    goals : mapping or pair, optional
        ``{"error": "minimize", "size": "minimize"}`` or ``("minimize", "minimize")``;
        the goals of the sweep's objectives are known, other metrics must be given.
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.
    """
    info = pareto_front_info(results, x_metric, y_metric, goals)
    fig, ax = _new_axes(ax, (6, 4.5))
    x_metric, y_metric = info.x_metric, info.y_metric
    if not info.x:
        _no_data(ax, f"no finished trial has both {x_metric!r} and {y_metric!r}")
    else:
        on_front = set(info.front)
        rest = [i for i in range(len(info.x)) if i not in on_front]
        ax.scatter([info.x[i] for i in rest], [info.y[i] for i in rest], color="0.65", s=18, label="dominated")
        fx, fy = [info.x[i] for i in info.front], [info.y[i] for i in info.front]
        ax.plot(fx, fy, "o-", color="tab:red", ms=6, lw=1.5, label="Pareto front")
        ax.legend(loc="best", fontsize=9)
    ax.set_xlabel(f"{x_metric} ({info.goals[0].value})")
    ax.set_ylabel(f"{y_metric} ({info.goals[1].value})")
    ax.set_title("Pareto front", fontsize=10)
    return fig


__all__ = [
    "AxisInfo",
    "BestSoFarInfo",
    "CurveInfo",
    "LearningCurvesInfo",
    "MethodBestInfo",
    "ParallelCoordinatesInfo",
    "ParetoInfo",
    "SliceInfo",
    "SlicesInfo",
    "best_so_far_info",
    "learning_curves_info",
    "methods_best_so_far_info",
    "parallel_coordinates_info",
    "pareto_front_info",
    "pareto_indices",
    "plot_best_so_far",
    "plot_learning_curves",
    "plot_parallel_coordinates",
    "plot_pareto_front",
    "plot_slices",
]


# --------------------------------------------------------------------------------------------- replay


def plot_replay(report: ReplayReport, ax: Axes | None = None) -> Figure:
    """Learning curves with the would-be stops marked.

    Each trial's recorded curve is drawn solid up to where the policy would
    have stopped it (an ``x``) and faded beyond; the recorded best trial is
    drawn thicker. Returns the matplotlib Figure (``ax``'s, or a new one).
    """
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 4.5))
        plt.close(fig)  # returned, not left in pyplot's list: a notebook shows it once
    else:
        fig = ax.figure  # type: ignore[assignment]  # a SubFigure's axes are not supported, as in _new_axes
    best = report.best_trial_id
    for row in report.table.itertuples():
        _plot_trial(ax, report.curves[row.trial_id], row.intervals_used, row.trial_id == best)
    ax.set_xlabel("evaluation interval (values of the primary metric)")
    ax.set_ylabel(report.metric)
    ax.set_title(_plot_title(report), fontsize=10)
    return fig


def _plot_trial(ax: Axes, curve: Sequence[float], used: int, is_best: bool) -> None:
    xs = list(range(1, len(curve) + 1))
    width = 2.4 if is_best else 1.0
    color = "tab:red" if is_best else None
    (line,) = ax.plot(xs[:used], curve[:used], lw=width, color=color, alpha=0.9)
    if used < len(curve):
        ax.plot(xs[used - 1 :], curve[used - 1 :], lw=width, color=line.get_color(), alpha=0.2, ls="--")
        ax.plot([xs[used - 1]], [curve[used - 1]], marker="x", ms=7, color=line.get_color())


def _plot_title(report: ReplayReport) -> str:
    s = report.summary
    survived = "survives" if s["best_trial_survived"] else "would be STOPPED"
    given = {k: v for k, v in report.policy.params().items() if v is not None}
    params = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in given.items())
    return (
        f"{type(report.policy).__name__}({params})\nstops {s['stopped']}/{s['trials']} trials, saves "
        f"{s['compute_saved_fraction']:.0%} of intervals; best trial {survived}"
    )


# ------------------------------------------------------------------------------------ parameter importance


def plot_param_importance(results: Any, params: Sequence[str] | None = None, ax: Axes | None = None) -> Figure:
    """Horizontal bars of :func:`hyperwidget.importance.param_importance`, the largest on top.

    When the importance cannot be computed (too few finished trials, a constant
    metric), the axes say why instead of raising.
    """
    from hyperwidget.importance import ImportanceError, param_importance

    try:
        importance = param_importance(results, params)
    except ImportanceError as error:
        fig, ax = _new_axes(ax, (6, 2.5))
        ax.set_axis_off()
        _no_data(ax, "\n".join(_wrap(str(error), 70)))
        return fig
    fig, ax = _new_axes(ax, (6, 1.0 + 0.35 * len(importance)))
    ordered = importance.iloc[::-1]  # barh draws the first bar at the bottom
    ax.barh(range(len(ordered)), ordered.to_numpy(), color="tab:blue")
    ax.set_yticks(range(len(ordered)), [str(name) for name in ordered.index])
    ax.set_xlim(0, max(1.0, float(ordered.max()) * 1.05))
    ax.set_xlabel(f"importance for {results.metric} (sums to 1)")
    ax.set_title(f"parameter importance, {importance.attrs['n_trials']} trials", fontsize=10)
    for y, value in enumerate(ordered.to_numpy()):
        ax.text(float(value), y, f" {value:.0%}", va="center", fontsize=8)
    return fig


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width) or [text]
