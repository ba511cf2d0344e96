"""Reviewing a sweep: children, ranking by the primary metric, best run, Pareto front, DataFrames.

The names follow HyperDrive's ``HyperDriveRun`` so that review code written for
Azure runs unchanged.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from hyperwidget.errors import SweepConfigError
from hyperwidget.names import flat_params, unsafe_name
from hyperwidget.pareto import hypervolume, non_dominated
from hyperwidget.tracking import PARAMS_FILE
from hyperwidget.trial import Constraint, Goal, TrialRecord, TrialStatus

if TYPE_CHECKING:
    import pandas as pd

#: The largest params file :meth:`ChildRun.get_logged_params` reads (a bigger one is not a trial's).
MAX_PARAMS_BYTES = 2**20


def trial_value(
    trial: TrialRecord, metric: str, goal: Goal, feasible: Callable[[TrialRecord], bool] | None = None
) -> float:
    """The value with which a trial competes for "best": the best value of
    ``metric`` it logged; ``nan`` when it has none, failed (which includes a
    final value that was NaN) or breaks a constraint (``feasible`` says False)."""
    if trial.status.is_failure or (feasible is not None and not feasible(trial)):
        return math.nan
    return trial.best(metric, goal)


class BestSoFarPoint(NamedTuple):
    """A finished trial and the best so far once it had finished (see :func:`best_so_far`)."""

    trial: TrialRecord
    value: float  #: the trial's own value (:func:`trial_value`; ``nan`` when it does not compete)
    best: float  #: the best value so far (``nan`` until the first)
    best_trial: TrialRecord | None  #: the trial that holds ``best``


def best_so_far(
    trials: Iterable[TrialRecord],
    metric: str,
    goal: Goal,
    feasible: Callable[[TrialRecord], bool] | None = None,
    after: BestSoFarPoint | None = None,
) -> list[BestSoFarPoint]:
    """The package's one definition of "best so far", used by the results, the
    plots and the live monitor.

    The finished trials of ``trials`` in completion order (end time, then index:
    what a user watching the sweep sees), each with the best :func:`trial_value`
    among the trials finished until then. A trial takes the lead only when it is
    strictly better, so of equal values the one that finished first keeps it.
    ``after``, the last point of an earlier call, continues that call with
    trials that finished later (the monitor folds in each batch this way).
    """
    done = sorted((t for t in trials if t.status.is_finished), key=_completion_order)
    best, holder = (after.best, after.best_trial) if after is not None else (math.nan, None)
    points = []
    for trial in done:
        value = trial_value(trial, metric, goal, feasible)
        if value - value == 0.0 and (holder is None or goal.better(value, best)):  # finite, and better
            best, holder = value, trial
        points.append(BestSoFarPoint(trial, value, best, holder))
    return points


def _completion_order(trial: TrialRecord) -> tuple[float, int]:
    return (trial.ended_at if trial.ended_at is not None else math.inf, trial.index)


class ChildRun:
    """One child run (trial) of a sweep, with HyperDrive's review methods."""

    def __init__(
        self, record: TrialRecord, metric: str, goal: Goal, outputs_dir: Path | None = None, keepalive: Any = None
    ) -> None:
        self.record = record
        self.metric = metric
        self.goal = goal
        self.outputs_dir = outputs_dir  # the trial's folder (its ``outputs/`` is :attr:`output_dir`)
        self._keepalive = keepalive  # a sweep without a file: its temporary runs folder lives while this does

    @property
    def id(self) -> str:
        """The run id, ``<sweep name>_<index>``."""
        return self.record.id

    @property
    def status(self) -> str:
        """``Completed``, ``StoppedEarly``, ``Failed``, ``TimedOut``, ``Crashed``, ``Canceled``, ..."""
        return self.record.status.value

    def get_status(self) -> str:
        """The status (Azure's method name)."""
        return self.status

    @property
    def error(self) -> str | None:
        """The traceback or reason text of a failed, stopped or canceled run."""
        return self.record.error

    @property
    def start_time(self) -> float | None:
        """Start, in seconds since the epoch."""
        return self.record.started_at

    @property
    def end_time(self) -> float | None:
        """End, in seconds since the epoch."""
        return self.record.ended_at

    @property
    def duration(self) -> float | None:
        """Seconds from start to end."""
        return self.record.duration

    def get_metrics(self, name: str | None = None) -> dict[str, Any]:
        """Every logged metric: a value logged once is a number, a series is a list (as in Azure)."""
        items = self.record.metrics.items() if name is None else [(name, self.record.series(name))]
        return {k: (list(v) if len(v) != 1 else v[0]) for k, v in items if v}

    def get_metric_steps(self, name: str | None = None) -> dict[str, list[int | None]]:
        """The training step of every value of each metric logged with ``log(name, value, step=...)``.

        Parallel to the lists of :meth:`get_metrics` (``None`` for a value logged
        without a step); metrics never logged with a step are left out.
        """
        names = self.record.steps if name is None else [name] if name in self.record.steps else []
        return {k: list(self.record.steps_of(k)) for k in names}

    def get_hyperparameters(self) -> dict[str, Any]:
        """The sampled hyperparameters, named as in the search space."""
        return dict(self.record.params)

    def get_logged_params(self) -> dict[str, str]:
        """The params the trial logged with ``mlflow.log_param(s)`` (MLflow keeps them as text), by name.

        Kept in the file ``mlflow_params.json`` of the trial's folder; empty when the
        trial logged none, or the file is not a JSON object of texts (a damaged or
        hostile file is ignored, never trusted).
        """
        root = self._root()
        path = root / PARAMS_FILE if root is not None else None
        if path is None or path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_PARAMS_BYTES:
            return {}
        try:
            params = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
            return {}
        return dict(params)

    @property
    def best_primary_metric(self) -> float:
        """The best value of the primary metric this child logged (``nan`` when none)."""
        return self.record.best(self.metric, self.goal)

    def get_details(self) -> dict[str, Any]:
        """A summary dict: id, status, times, hyperparameters, params logged with MLflow, error and worker."""
        r = self.record
        return {
            "runId": r.id,
            "status": r.status.value,
            "startTimeUtc": r.started_at,
            "endTimeUtc": r.ended_at,
            "hyperparameters": dict(r.params),
            "loggedParams": self.get_logged_params(),
            "error": r.error,
            "worker": r.worker,
        }

    @property
    def output_dir(self) -> Path | None:
        """The trial's own output folder (``Run.get_context().output_dir`` in the trial), or ``None``.

        ``None`` when the trial wrote nothing there, or the folder is not strictly
        inside the sweep's runs folder (e.g. it is a symbolic link).
        """
        root = self._root()
        if root is None:
            return None
        folder = root / "outputs"
        return folder if folder.is_dir() and not folder.is_symlink() and _inside(folder, root) else None

    def get_file_names(self) -> list[str]:
        """Files the trial wrote in its folder: ``outputs/model.joblib`` (its :attr:`output_dir`), ...

        Every kind of trial has one (functions, ``%%sweep`` cells, scripts, on any
        backend; a script's folder also holds its ``std_log.txt``).

        Only regular files strictly inside the folder are listed: no symbolic links,
        nothing that resolves outside it.
        """
        root = self._root()
        if root is None:
            return []
        return sorted(
            str(p.relative_to(root))
            for p in root.rglob("*")
            if p.is_file()
            and not p.is_symlink()
            and _inside(p, root)
            and not any((root / q).is_symlink() for q in p.relative_to(root).parents)
        )

    def download_file(self, name: str, output_file_path: str | None = None) -> str:
        """Copy the child's file ``name`` (e.g. ``outputs/model.pkl``) to ``output_file_path``; returns the copy's path.

        ``output_file_path`` defaults to the file's base name in the working
        directory; an existing folder receives the file under its base name.

        Raises
        ------
        FileNotFoundError
            When the child has no such file, or ``name`` reaches outside its folder
            (``../``, an absolute path, a symbolic link).
        """
        root = self._root()
        source = root / name if root is not None else None
        if source is None or name not in self.get_file_names():
            listed = self.get_file_names()
            raise FileNotFoundError(f"child run {self.id} has no file {name!r}; it has {listed}.")
        target = Path(output_file_path or Path(name).name)
        if target.is_dir():  # a folder: the file keeps its name there
            target = target / Path(name).name
        shutil.copyfile(source, target)
        return str(target)

    def _root(self) -> Path | None:
        """The child's folder, resolved, or ``None`` when it has none (or it is a symbolic link)."""
        if self.outputs_dir is None or self.outputs_dir.is_symlink() or not self.outputs_dir.is_dir():
            return None
        return self.outputs_dir.resolve()

    def __repr__(self) -> str:
        return f"ChildRun(id={self.id!r}, status={self.status!r}, {self.metric}={self.best_primary_metric:.6g})"


class SweepResults:
    """The results of a sweep: HyperDrive's review calls over its child runs.

    Subclassed by the live :class:`~hyperwidget.sweep.SweepRun`; a finished or
    running sweep is also opened read-only with :func:`hyperwidget.load_sweep`.
    """

    def __init__(
        self,
        name: str,
        metric: str,
        goal: Goal,
        trials: Sequence[TrialRecord] = (),
        constraints: Sequence[Constraint] = (),
        status: str = "Completed",
        runs_dir: Path | None = None,
        keepalive: Any = None,
        objectives: Sequence[tuple[str, Goal | str]] = (),
    ) -> None:
        self.name = name
        self._keepalive = keepalive
        self.metric = metric
        self.goal = goal
        #: Every objective, ``(metric, goal)``, the primary one first (only it for a single-objective sweep).
        self.objectives: tuple[tuple[str, Goal], ...] = tuple(
            (str(n), Goal.parse(g, f"objectives[{n!r}]")) for n, g in objectives
        ) or ((metric, Goal.parse(goal)),)
        self.constraints = tuple(constraints)
        self._trials = list(trials)
        self._status = status
        self.runs_dir = runs_dir

    @property
    def trials(self) -> list[TrialRecord]:
        """Snapshots of every child run, in creation order."""
        return list(self._trials)

    @property
    def status(self) -> str:
        """``Running``, ``Completed``, ``Canceled`` or ``Failed``."""
        return self._status

    def get_status(self) -> str:
        """The status (Azure's method name)."""
        return self.status

    @property
    def id(self) -> str:
        """The sweep's name (Azure's run id)."""
        return self.name

    def _child(self, record: TrialRecord) -> ChildRun:
        if self.runs_dir is None:
            return ChildRun(record, self.metric, self.goal, None, keepalive=self._keepalive)
        outputs: Path | None = self.runs_dir / record.id
        if (
            unsafe_name(record.id) is not None
            or unsafe_name(self.name) is not None
            or not _inside(self.runs_dir / record.id, self.runs_dir.parent)
        ):
            outputs = None  # a crafted name reaching outside the runs folder: no files
        return ChildRun(record, self.metric, self.goal, outputs, keepalive=self._keepalive)

    def get_child(self, run_id: str) -> ChildRun:
        """The child run ``run_id`` (its trial id, e.g. ``"sweep_..._3"``).

        Raises
        ------
        KeyError
            When the sweep has no such child run; the message names a few it has.
        """
        record = next((r for r in self.trials if r.id == run_id), None)
        if record is None:
            known = ", ".join(repr(r.id) for r in self.trials[:3])
            raise KeyError(f"sweep {self.name!r} has no child run {run_id!r}; its child runs are {known}, ...")
        return self._child(record)

    def get_children(self, status: str | None = None) -> list[ChildRun]:
        """Every child run, in creation order (only those in ``status`` when given)."""
        return [self._child(r) for r in self.trials if status is None or r.status.value == status]

    def is_feasible(self, record: TrialRecord) -> bool:
        """Whether ``record`` meets every constraint."""
        return all(c.satisfied_by(record) for c in self.constraints)

    def _ranked(self, records: Sequence[TrialRecord]) -> list[TrialRecord]:
        scored = [r for r in records if math.isfinite(r.best(self.metric, self.goal))]
        return sorted(scored, key=lambda r: self.goal.sign() * r.best(self.metric, self.goal))

    def get_children_sorted_by_primary_metric(
        self, top: int = 0, reverse: bool = False, discard_no_metric: bool = False
    ) -> list[dict[str, Any]]:
        """Children as dicts (``run_id``, ``hyperparameters``, ``best_primary_metric``, ``status``), best first.

        As in HyperDrive: ``best_primary_metric`` is the best value a child logged;
        ``reverse`` flips the order of the children that have the metric; those
        without it come last unless ``discard_no_metric``; ``top=0`` keeps all.
        """
        if not isinstance(top, int) or top < 0:
            raise SweepConfigError(f"top must be an int >= 0 (0 = all), got top={top!r}.")
        trials = self.trials
        ranked = self._ranked(trials)
        if reverse:
            ranked.reverse()
        rest = [] if discard_no_metric else [r for r in trials if r not in ranked]
        rows = [
            {
                "run_id": r.id,
                "hyperparameters": json.dumps(dict(r.params)),
                "best_primary_metric": (v if math.isfinite(v := r.best(self.metric, self.goal)) else None),
                "status": r.status.value,
            }
            for r in ranked + rest
        ]
        return rows[:top] if top else rows

    def get_best_run_by_primary_metric(
        self, include_failed: bool = False, include_canceled: bool = True, include_resume_from_runs: bool = True
    ) -> ChildRun | None:
        """The child with the best primary metric among feasible ones, or ``None``.

        Unlike Azure, failed children (which include those whose final primary
        metric was NaN or infinite) are left out unless ``include_failed=True``,
        so a diverged trial is never the best. Early-stopped children count with
        the values they logged. Ties go to the earliest child.
        ``include_resume_from_runs`` is accepted for Azure's signature and has no
        effect: a resumed sweep holds its earlier children itself.
        """
        excluded = set()
        if not include_failed:
            excluded |= {TrialStatus.FAILED, TrialStatus.TIMED_OUT, TrialStatus.CRASHED}
        if not include_canceled:
            excluded.add(TrialStatus.CANCELED)
        candidates = [r for r in self.trials if r.status not in excluded and self.is_feasible(r)]
        ranked = self._ranked(candidates)
        return self._child(ranked[0]) if ranked else None

    def get_metrics(self) -> dict[str, dict[str, Any]]:
        """``{child run id: child.get_metrics()}``."""
        return {c.id: c.get_metrics() for c in self.get_children()}

    def get_hyperparameters(self) -> dict[str, str]:
        """``{child run id: JSON text of its hyperparameters}`` (HyperDrive's format)."""
        return {r.id: json.dumps(dict(r.params)) for r in self.trials}

    @property
    def is_multi_objective(self) -> bool:
        """Whether the sweep was run with two or more objectives (``metric=[...]``)."""
        return len(self.objectives) > 1

    def pareto_front(self, objectives: Mapping[str, Goal | str] | None = None) -> list[ChildRun]:
        """Children not dominated on ``objectives`` (metric name -> goal), in creation order.

        By default the sweep's own objectives (``run_sweep(metric=["error", "size"], ...)``);
        a single-objective sweep needs ``objectives``. A child is on the front only when
        it completed or stopped early, meets every constraint and has a finite final value
        of every objective (the *last* values it logged, so all come from the same point of
        training); among those, the ones no other is at least as good as on every objective
        and better on one. Equal children are all kept.

        Examples
        --------
        ``run.pareto_front()`` or ``run.pareto_front({"error": "minimize", "model_size": "minimize"})``
        """
        goals = self._front_goals(objectives)
        points = self._front_candidates(goals)
        front = non_dominated([losses for _, losses in points])
        return [self._child(points[i][0]) for i in front]

    def hypervolume(self, reference: Mapping[str, float] | None = None) -> float:
        """The hypervolume of the sweep's Pareto front: how much of objective space it dominates.

        The volume between the front and ``reference``, a point given in each
        objective's own units (``{"error": 0.5, "size": 2e6}``); a larger
        hypervolume is a better front. Children no better than ``reference`` on
        every objective add nothing; 0.0 when none is. Exact for any number of
        objectives.

        ``reference`` defaults to :meth:`hypervolume_reference`, computed from the
        sweep's own children: fine to follow one sweep, but it moves as new
        children arrive, so compare sweeps with one explicit ``reference``.
        """
        goals = self._front_goals(None)
        ref = self.hypervolume_reference() if reference is None else self._check_reference(reference)
        if not ref:
            return 0.0
        losses = [losses for _, losses in self._front_candidates(goals)]
        return hypervolume(losses, [goal.sign() * ref[name] for name, goal in goals.items()])

    def hypervolume_reference(self) -> dict[str, float]:
        """The default reference point of :meth:`hypervolume`, by metric name.

        For each objective, its worst final value among the children eligible for the
        front, moved away from the front by 10 % of the values' range (by 10 % of the
        value itself, or 0.1 when it is 0, when all are equal), so that the extreme
        members of the front still add volume. Empty when no child is eligible.
        """
        goals = self._front_goals(None)
        points = [losses for _, losses in self._front_candidates(goals)]
        if not points:
            return {}
        reference = {}
        for k, (name, goal) in enumerate(goals.items()):
            values = [p[k] for p in points]
            worst, span = max(values), max(values) - min(values)
            margin = 0.1 * span if span > 0 else 0.1 * abs(worst) or 0.1
            reference[name] = goal.sign() * (worst + margin)
        return reference

    def _front_goals(self, objectives: Mapping[str, Goal | str] | None) -> dict[str, Goal]:
        """The objectives of a front: the given mapping, else the sweep's own (two or more)."""
        if objectives is None:
            if not self.is_multi_objective:
                raise SweepConfigError(
                    f"sweep {self.name!r} has one objective ({self.metric!r}): pass the metrics of the front, "
                    f"e.g. pareto_front({{{self.metric!r}: {self.goal.value!r}, 'size': 'minimize'}}), or run the "
                    "sweep with metric=[...] (two or more objectives)."
                )
            return dict(self.objectives)
        if len(objectives) < 2:
            raise SweepConfigError("pareto_front needs two or more metrics, e.g. {'error': 'min', 'size': 'min'}.")
        return {name: Goal.parse(goal, f"pareto_front[{name!r}]") for name, goal in objectives.items()}

    def _front_candidates(self, goals: Mapping[str, Goal]) -> list[tuple[TrialRecord, tuple[float, ...]]]:
        """The children eligible for the front, each with its final values as losses."""
        points = []
        for r in self.trials:
            if r.status not in (TrialStatus.COMPLETED, TrialStatus.STOPPED_EARLY) or not self.is_feasible(r):
                continue
            losses = tuple(goal.sign() * r.last(name) for name, goal in goals.items())
            if all(math.isfinite(v) for v in losses):
                points.append((r, losses))
        return points

    def _check_reference(self, reference: Mapping[str, float]) -> dict[str, float]:
        names = [name for name, _ in self.objectives]
        if not isinstance(reference, Mapping) or sorted(reference) != sorted(names):
            raise SweepConfigError(
                f"hypervolume(reference=...) must give a value for each objective, {names!r}, e.g. "
                f"reference={{{', '.join(f'{n!r}: ...' for n in names)}}}; got reference={reference!r}."
            )
        checked = {}
        for name in names:
            value = reference[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise SweepConfigError(f"hypervolume: reference[{name!r}] must be a finite number, got {value!r}.")
            checked[name] = float(value)
        return checked

    def to_dataframe(self) -> pd.DataFrame:
        """One row per child: id, status, hyperparameters, final metrics, best primary metric, times, error.

        A multi-objective sweep adds the boolean column ``pareto``: the child is on
        the Pareto front of the sweep's objectives (:meth:`pareto_front`).

        Hyperparameters and metrics keep their names; one that collides with a
        bookkeeping column (or a metric named like a hyperparameter) is prefixed
        ``param:`` / ``metric:``. Nested hyperparameters (groups, choices of
        branches, any dict value) get one column per leaf, named by the keys joined
        with ``"."`` (``model.gamma``); a parameter of a branch a trial did not take
        is ``NaN`` in its row. :meth:`ChildRun.get_hyperparameters` keeps the
        nested dict the trial received.
        """
        import pandas as pd

        best_column = f"best_{self.metric}"
        reserved = {*_BOOKKEEPING, best_column}
        rows = []
        for r in self.trials:
            row: dict[str, Any] = {"run_id": r.id, "status": r.status.value}
            params = flat_params(r.params)
            row.update({f"param:{k}" if k in reserved else k: v for k, v in params.items()})
            for name, values in r.metrics.items():
                row[f"metric:{name}" if name in reserved or name in params else name] = values[-1]
            row[best_column] = r.best(self.metric, self.goal)
            row.update(
                steps=len(r.series(self.metric)),
                started_at=pd.to_datetime(r.started_at, unit="s") if r.started_at else pd.NaT,
                duration_s=r.duration,
                feasible=self.is_feasible(r),
                error_message=_exception_line(r.error),
            )
            rows.append(row)
        frame = pd.DataFrame(rows)
        if self.is_multi_objective:
            self._mark_front(frame)
        return frame

    def _mark_front(self, frame: pd.DataFrame) -> None:
        """Add the boolean column ``pareto``: the child is on the sweep's Pareto front (see :meth:`pareto_front`)."""
        if len(frame) == 0:
            return
        front = {c.id for c in self.pareto_front()}
        column = "pareto" if "pareto" not in frame else "front:pareto"
        frame[column] = frame["run_id"].isin(front)

    def best_so_far(self) -> list[float]:
        """The best primary metric after each finished child, in completion order
        (:func:`best_so_far`; ``nan`` until the first value)."""
        return [p.best for p in best_so_far(self.trials, self.metric, self.goal, self.is_feasible)]

    def __repr__(self) -> str:
        counts: dict[str, int] = {}
        for r in self.trials:
            counts[r.status.value] = counts.get(r.status.value, 0) + 1
        best = self.get_best_run_by_primary_metric()
        best_text = f", best {self.metric}={best.best_primary_metric:.6g} ({best.id})" if best else ""
        if self.is_multi_objective:
            best_text += f", Pareto front of {len(self.pareto_front())}"
        return f"<{type(self).__name__} {self.name!r} {self.status}: {counts}{best_text}>"


_BOOKKEEPING = ("run_id", "status", "steps", "started_at", "duration_s", "feasible", "error_message")


def _inside(path: Path, root: Path) -> bool:
    """Whether ``path`` resolves strictly inside ``root`` (``..`` and symbolic links followed)."""
    resolved, base = path.resolve(), root.resolve()
    return resolved != base and resolved.is_relative_to(base)


def _exception_line(text: str | None) -> str | None:
    """The last non-blank line of a traceback: the exception and its message (``None`` without one)."""
    if not text:
        return None
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else None
