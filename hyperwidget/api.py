"""The public entry points: :func:`run_sweep`, :func:`start_sweep`, :func:`resume_sweep`, :func:`load_sweep`.

:func:`run_sweep` runs a sweep to its end (in a notebook, under the live
monitor); :func:`start_sweep` runs it on a background thread and returns at
once; both return a :class:`~hyperwidget.sweep.SweepRun`. :func:`resume_sweep`
goes on with a stored sweep and :func:`load_sweep` opens one read-only (also
while another process runs it).

They are built on :mod:`hyperwidget.sweep` plus the one thing the engine must
not know about: inside a Jupyter kernel, :func:`run_sweep` and
:func:`resume_sweep` show the live monitor under the cell and wait for the sweep
while the monitor's stop buttons work. This module sits above both the engine
and the notebook layer; the engine never imports it, and it imports the
notebook layer only inside a kernel.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hyperwidget import sweep
from hyperwidget.objective import Script
from hyperwidget.results import SweepResults
from hyperwidget.storage import SqliteStorage
from hyperwidget.sweep import DEFAULT_STORAGE, SweepRun

__all__ = ["load_sweep", "resume_sweep", "run_sweep", "start_sweep"]


def run_sweep(
    objective: Callable[..., Any] | Script,
    space: Mapping[str, Any] | None = None,
    *,
    metric: str | Sequence[str],
    goal: Any = "maximize",
    monitor: bool | None = None,
    **settings: Any,
) -> SweepRun:
    """Run a hyperparameter sweep to its end and return its results; in a notebook, with the live monitor.

    Parameters
    ----------
    objective : callable or Script
        A function called with the sampled hyperparameters as keyword arguments,
        which logs with ``log(name, value)`` / ``Run.get_context().log(...)``
        and/or returns the primary metric (or a dict of metrics); or a
        :class:`~hyperwidget.objective.Script` run as ``python script --name value ...``.
    space : dict
        Hyperparameter names to expressions (``choice``, ``uniform``, ...) or constants.
    metric : str or list of str
        The primary metric, named exactly as the trial logs it; or a list of two or
        more distinct names for a multi-objective sweep (``["error", "size"]``). The
        first is then the *primary* metric: the policies act on it, and the best run
        (``get_best_run_by_primary_metric``), the sorted children, the best-so-far chart
        and the ``best_<metric>`` column use it; ``run.pareto_front()`` and
        ``run.hypervolume()`` use them all, and samplers that know several objectives
        (``"bayesian"``) aim at the front. A trial that completes without logging a later
        objective stays ``Completed`` but is left off the front (warned once).
    goal : {"maximize", "minimize"} or Goal, or a list of them
        Whether larger or smaller values of ``metric`` are better: one goal for every
        metric, or a list with one goal per metric (``["minimize", "minimize"]``).
    monitor : bool, optional
        ``None`` (default): show the live monitor when running inside a Jupyter
        kernel with a widget front end, else run silently. ``True``: always
        (outside Jupyter it prints progress lines and the final table).
        ``False``: never (e.g. for sweeps in a loop).
    sampler : Sampler or str, optional
        A sampler object, or a name registered in ``hyperwidget.samplers.SAMPLERS``
        (``"grid"``, ``"random"``, ``"sobol"``, ``"bayesian"``), optionally with literal
        keywords: ``"bayesian(n_initial=5)"``; a name is built over ``space`` with ``seed``.
        Default: ``RandomParameterSampling(space, seed=seed)``.
    policy : EarlyTerminationPolicy or str, optional
        A policy object, or a name registered in ``hyperwidget.policies.POLICIES``, with
        literal keywords: ``"median"``, ``"bandit(slack_factor=0.1)"``. Default: no early termination.
    max_total_runs : int, optional
        How many trials to create (default: the grid size, else 20).
    max_concurrent_runs : int, optional
        How many run at once (default: 1 for ``sequential``, else ``min(max_total_runs, CPUs)``).
        On ``loky`` and ``threads`` more than this machine's cores are capped at the cores, with a
        ``HyperwidgetWarning``; on ``dask`` the value is kept (the cluster's own workers run the
        trials: use about its number of worker threads).
    max_duration_minutes : float, optional
        Wall-clock budget: when it is reached, the sweep is canceled (finished trials are kept).
        ``None`` (the default) is no limit; infinity and NaN are refused.
    trial_timeout : float, optional
        Seconds one trial may run; past it the trial is stopped (status ``TimedOut``). ``None``
        (the default) is no limit; it must be finite and at most ``threading.TIMEOUT_MAX``
        (about 292 years), the longest wait Python's timers accept.
    backend : {"loky", "sequential", "threads", "dask"}
        Where trials run: worker processes (default), in this thread, in threads,
        or on the active ``dask.distributed`` client through joblib's Dask backend
        (the names registered in ``hyperwidget.executor.BACKENDS``).
    seed : int, optional
        Seed of the default random sampler.
    name : str, optional
        The sweep's name (default: a timestamped one); trial ids are ``<name>_<index>``.
    storage : str, path or None
        The SQLite file every record goes to as it happens (default
        ``hyperwidget.db`` in the working directory); ``None`` keeps the sweep in memory only.
        Its directory must exist; an existing file must be a sweep file. When the sweep ends the
        file alone holds it all (the write-ahead log is folded in), so it can be copied.
    constraints : sequence of str
        Bounds on metrics such as ``"latency <= 5"``; violating children are never the best,
        nor on the Pareto front. A bound on an objective itself (``"error <= 0.2"``) is allowed:
        it keeps the front to the region of interest.
    observers : sequence
        Objects with optional ``on_sweep_start(run)``, ``on_trial_update(record)``
        and ``on_sweep_end(run)`` methods (the live monitor is one).
    points_to_evaluate : sequence of dict, optional
        Known configurations to run first, in order, before the sampler proposes
        anything (Syne Tune's and Ray Tune's ``points_to_evaluate``, the d2l
        chapter's ``initial_config``, Optuna's ``enqueue_trial``): point ``i`` is
        trial ``<name>_<i>``. A point may leave hyperparameters out: a ``choice``
        then takes its first option, any other expression its median (the midpoint
        of ``uniform``, the geometric midpoint of a log range), as in Syne Tune.
        Each value must be one the space can propose (checked when declared, see
        :meth:`SearchSpace.check_config`). Points count toward ``max_total_runs``
        (when it is not given it is at least the number of points; when it is
        smaller, ``SweepConfigError``). Samplers learn from them like any trial:
        the grid does not run a point twice, the Bayesian sampler fits them and
        counts them toward its ``n_initial`` Sobol points, and random and Sobol
        proposal ``i`` stays trial ``i``'s draw (seeded sweeps reproduce). Stored
        with the sweep; a resumed sweep does not run a point again.
    resume : bool
        Go on with the stored sweep ``name`` in ``storage`` up to its ``max_total_runs``
        (an error when there is none).
    if_exists : {"error", "resume", "replace"}
        What to do when ``storage`` already holds a sweep named ``name`` (e.g. a script
        run a second time): ``"error"`` (the default) refuses; ``"resume"`` goes on with
        the stored sweep as :func:`resume_sweep` does, keeping its finished trials (like
        Optuna's ``load_if_exists=True``; when there is none, the sweep starts as usual):
        this call's metric, goal, space, sampler kind, policy, constraints and
        ``points_to_evaluate`` must be the stored ones, and its ``max_total_runs``, ``max_concurrent_runs``,
        ``backend``,
        ``trial_timeout`` and ``max_duration_minutes``, when given, replace the stored
        ones; ``"replace"`` deletes the stored sweep (its trials and logged values; a
        script's ``hyperwidget_runs/<name>`` folders are kept and reused) and starts anew.

    Returns
    -------
    SweepRun
        Also when the sweep was canceled by its time budget. Without the monitor a
        ``KeyboardInterrupt`` cancels the sweep, keeps every finished trial and is
        re-raised; with the monitor, interrupting the kernel cancels the sweep,
        keeps every finished trial and returns the canceled run instead, so the
        results stay in the cell's variable.

    Raises
    ------
    SweepFailedError
        When the first ``min(3, max_total_runs)`` trials to finish all failed the
        same way (the same exception type, or e.g. the primary metric never
        logged): the sweep then starts no more trials, cancels the running ones
        and ends ``Failed``; the error holds the first trial's traceback and the
        fix. Also when the sweep ends with no completed trial at all. Some failed
        trials among completed ones are data, not an error (``status="Failed"``
        on those children). :func:`start_sweep` raises it from ``run.wait()``.
    SweepConfigError, SearchSpaceError
        For a setting or a search space that cannot work, before any trial runs.

    Examples
    --------
    >>> from hyperwidget import choice, uniform
    >>> def train(lr, layers):
    ...     return {"accuracy": 1 - abs(lr - 0.3) / layers}
    >>> run = run_sweep(
    ...     train,
    ...     {"lr": uniform(0, 1), "layers": choice(1, 2)},
    ...     metric="accuracy",
    ...     max_total_runs=4,
    ...     backend="sequential",
    ...     seed=0,
    ...     storage=None,
    ... )
    >>> run.get_status(), len(run.get_children())
    ('Completed', 4)
    >>> sorted(run.get_best_run_by_primary_metric().get_hyperparameters())
    ['layers', 'lr']
    """
    if not _wants_monitor(monitor):
        return sweep.run_prepared(sweep.prepare_sweep(objective, space, metric=metric, goal=goal, **settings))
    observers = list(settings.pop("observers", ()))
    return _with_monitor(
        lambda extra: start_sweep(
            objective, space, metric=metric, goal=goal, observers=[*observers, *extra], **settings
        )
    )


def start_sweep(
    objective: Callable[..., Any] | Script,
    space: Mapping[str, Any] | None = None,
    *,
    metric: str | Sequence[str],
    goal: Any = "maximize",
    **settings: Any,
) -> SweepRun:
    """Start a sweep on a background thread and return it at once; ``run.wait()`` waits for its end.

    Takes the arguments of :func:`run_sweep` (without ``monitor``: show
    ``RunDetails(run)`` to watch it). Setting errors are raised here, before any
    trial runs; a :class:`~hyperwidget.errors.SweepFailedError` is raised by
    ``run.wait()``. While it runs, ``run.enqueue({...})`` runs a known
    configuration next (see :meth:`~hyperwidget.sweep.SweepRun.enqueue`).
    """
    return sweep.launch(sweep.prepare_sweep(objective, space, metric=metric, goal=goal, **settings))


def resume_sweep(
    name: str,
    objective: Callable[..., Any] | Script,
    storage: str | os.PathLike[str] | SqliteStorage = DEFAULT_STORAGE,
    *,
    monitor: bool | None = None,
    **overrides: Any,
) -> SweepRun:
    """Go on with stored sweep ``name`` up to its ``max_total_runs``, without repeating finished trials.

    Parameters
    ----------
    name : str
        The stored sweep's name.
    objective : callable or Script
        The same objective the sweep ran (it is not stored).
    storage : str, path or SqliteStorage
        The sweep's SQLite file (default ``hyperwidget.db``).
    monitor : bool, optional
        As in :func:`run_sweep`.
    **overrides
        New values of ``max_total_runs``, ``max_concurrent_runs``, ``backend``,
        ``trial_timeout``, ``max_duration_minutes`` and ``observers``; and
        ``points_to_evaluate``: more known configurations to run first (after
        the stored trials to rerun), checked as in :func:`run_sweep`; they need
        room in ``max_total_runs`` (an error says the budget to pass).

    Returns
    -------
    SweepRun

    Notes
    -----
    Trials that were queued or running when the sweep's process ended, and
    trials canceled before they started (e.g. known points still waiting when
    the sweep was canceled), are run again from the start with the same
    hyperparameters; the sampler sees every finished trial (warm start).

    Only one process runs a sweep at a time: while another live process runs it
    (also the one that started it), this raises :class:`~hyperwidget.errors.SweepBusyError`
    naming that process. A process that died (``SIGKILL``, a crash, or on another
    host a heartbeat older than 30 s) no longer counts: its sweep is taken over.
    """
    observers = list(overrides.pop("observers", ()))

    def prepared(extra: list[Any]) -> SweepRun:
        return sweep.prepare_sweep(
            objective,
            None,
            metric="",
            name=name,
            storage=storage,
            resume=True,
            observers=[*observers, *extra],
            **overrides,
        )

    if not _wants_monitor(monitor):
        return sweep.run_prepared(prepared([]))
    return _with_monitor(lambda extra: sweep.launch(prepared(extra)))


def load_sweep(name: str | None = None, storage: str | os.PathLike[str] = DEFAULT_STORAGE) -> SweepResults:
    """Open a stored sweep read-only; works while another process runs it.

    Parameters
    ----------
    name : str, optional
        The sweep's name; ``None`` opens the newest sweep in ``storage``.
    storage : str or path
        The SQLite file (default ``hyperwidget.db``).

    Returns
    -------
    SweepResults
        Children, best run, DataFrame and plots, as for a finished :class:`~hyperwidget.sweep.SweepRun`.
        Its status is the stored one, except ``"Interrupted"`` for a sweep stored
        ``Running`` whose process is gone (killed, crashed, its machine down): its
        trials keep the status they had then, and :func:`resume_sweep` goes on with it.

    Raises
    ------
    SweepConfigError
        When ``storage`` holds no sweep (or not the one named).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from hyperwidget import uniform
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "sweeps.db"
    ...     _ = run_sweep(
    ...         lambda x: x,
    ...         {"x": uniform(0, 1)},
    ...         metric="x",
    ...         max_total_runs=3,
    ...         backend="sequential",
    ...         name="demo",
    ...         storage=path,
    ...     )
    ...     stored = load_sweep("demo", path)
    >>> stored.status, len(stored.trials)
    ('Completed', 3)
    """
    return sweep.load_results(name, storage)


def _wants_monitor(monitor: bool | None) -> bool:
    if monitor is not None:
        return monitor
    if "ipykernel" not in sys.modules:  # not in a Jupyter kernel: do not even import IPython
        return False
    from hyperwidget.notebook.live import widget_frontend_available

    return widget_frontend_available()


def _with_monitor(start: Callable[[list[Any]], SweepRun]) -> SweepRun:
    from hyperwidget.notebook.live import run_with_monitor

    return run_with_monitor(start)
