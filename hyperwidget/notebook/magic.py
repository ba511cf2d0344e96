"""The ``%%sweep`` cell magic: the cell is the trial, the magic line is the sweep's configuration.

``%load_ext hyperwidget`` registers it. Reading the cell is done by the pure
:mod:`hyperwidget.notebook._cell`, reading the options by the pure
:mod:`hyperwidget.notebook._options` (the one table of option words); this module
only wires them to the engine (``start_sweep``) and the live monitor
(:func:`hyperwidget.notebook.live.run_with_monitor`).
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import re
import shlex
import signal
import threading
from collections.abc import Iterator
from typing import Any

from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.magic import Magics, cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from hyperwidget.errors import HyperwidgetError, SweepFailedError
from hyperwidget.executor import BACKENDS, DEFAULT_BACKEND, get_backend
from hyperwidget.notebook import _options
from hyperwidget.notebook._cell import CELL_PREFIX, CompiledCell, compile_cell
from hyperwidget.notebook._logged import cell_logs
from hyperwidget.policies import POLICIES
from hyperwidget.samplers import SAMPLERS
from hyperwidget.trial import TrialRecord, TrialStatus


class TrialsFailedError(HyperwidgetError):
    """The sweep failed because its trials did (the engine's :class:`~hyperwidget.errors.SweepFailedError`).

    Its first trials all failed alike, or none completed: the cell itself is
    likely broken. IPython shows the first failed trial's traceback (which
    points at the cell's lines) instead of the magic's frames.
    """

    def __init__(self, failed: SweepFailedError, first: TrialRecord) -> None:
        head = str(failed).split(" Trial ", 1)[0]
        super().__init__(f"%%sweep: {head} Above is the error of trial {first.id} (params {dict(first.params)}).")
        self.first = first

    def _render_traceback_(self) -> list[str]:
        error = trim_traceback(self.first.error or "(no error text was recorded)")
        return [*error.rstrip("\n").splitlines(), "", f"{type(self).__name__}: {self}"]


class SweepInterrupted(KeyboardInterrupt):
    """The kernel was interrupted during ``%%sweep``: the sweep was canceled, its finished trials kept.

    Raised after the run is bound to ``-o``, so the cell ends as interrupted and
    "Run All" stops there, as with any interrupted cell. IPython shows one line.
    """

    def __init__(self, run: Any, out: str | None) -> None:
        trials = list(getattr(run, "trials", []))
        done = sum(1 for t in trials if t.status is TrialStatus.COMPLETED)
        where = f" (the run is in {out!r})" if out else ""
        super().__init__(
            f"%%sweep interrupted: sweep {getattr(run, 'name', '?')!r} was canceled; its {done} completed "
            f"{'trial is' if done == 1 else 'trials are'} kept{where}."
        )

    def _render_traceback_(self) -> list[str]:
        return [f"KeyboardInterrupt: {self}"]


def trim_traceback(text: str) -> str:
    """Drop the engine's frames from a trial's traceback: keep it from the cell's first frame on.

    Text without a cell frame (e.g. "the primary metric was never logged") is returned unchanged.
    """
    lines = text.splitlines(keepends=True)
    first = next((i for i, line in enumerate(lines) if line.lstrip().startswith(f'File "{CELL_PREFIX}')), None)
    if first is None or not lines[0].startswith("Traceback"):
        return text
    return lines[0] + "".join(lines[first:])


def _unquote(value: Any) -> Any:
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _parse_line(magic: Any, line: str) -> argparse.Namespace:
    """``parse_argstring``, then quotes removed: IPython splits non-POSIX style and keeps them."""
    args = parse_argstring(magic, line)
    for key, value in vars(args).items():
        setattr(args, key, _unquote(value))
    return args


def _fallback_names() -> dict[str, Any]:
    """Names a cell may use without importing them: ``log``, ``Run``, ``output_dir`` and the search-space functions."""
    from hyperwidget.context import Run, log, output_dir
    from hyperwidget.notebook._cell import expression_factories

    return {"log": log, "Run": Run, "output_dir": output_dir, **expression_factories()}


def _primary_metric(args: argparse.Namespace, compiled: CompiledCell) -> str | list[str]:
    """The ``metric`` of the sweep: ``--metric`` (a list for ``--metric error,size``), else the cell's one metric."""
    if args.metric:
        return _options.parse_metrics(str(args.metric))
    if args.resume:
        return ""  # the stored sweep's metric is used
    default = compiled.default_metric
    if default is None:
        logged = ", ".join(repr(m) for m in compiled.logged_metrics) or "nothing by name"
        ending = "ends with a value" if compiled.returns_value else "does not end with a value"
        raise UsageError(
            f"%%sweep: give --metric NAME: the cell logs {logged} and {ending}, so the primary metric is "
            "ambiguous; e.g. --metric accuracy --goal maximize (a value the cell ends with is logged as --metric)."
        )
    return default


def _check_metric_is_logged(metric: str, source: str, compiled: CompiledCell) -> None:
    """Refuse a ``--metric`` the cell certainly never logs (a typo), before any trial starts.

    Nothing is refused when the cell ends with a value (that value is logged as
    ``--metric``) or may log names the source does not show (names computed at
    run time, notebook functions that may log): see :mod:`hyperwidget.notebook._logged`.
    """
    if compiled.returns_value or metric in compiled.logged_metrics:
        return  # the common case costs no analysis
    found = cell_logs(source, compiled.trial.function.__globals__)
    if found.uncertain is not None:
        return
    names = tuple(dict.fromkeys((*found.names, *compiled.logged_metrics)))  # in the order of the cell
    if metric not in names:
        raise UsageError(never_logged_message(metric, names))


def never_logged_message(metric: str, names: tuple[str, ...]) -> str:
    """The refusal of ``--metric metric`` for a cell that logs exactly ``names``."""
    start = f"%%sweep: --metric {metric!r} is never logged by the cell"
    if not names:
        return (
            f"{start}, which logs nothing by name; log it with log({metric!r}, value) in the cell, "
            "or end the cell with its value."
        )
    logged = ", ".join(repr(n) for n in names)
    lowered = {n.lower(): n for n in names}
    close = [lowered[m] for m in difflib.get_close_matches(metric.lower(), list(lowered), n=1, cutoff=0.6)]
    close = close or [n for n in names if n.lower().startswith(metric.lower()) or metric.lower().startswith(n.lower())]
    if close:
        return f"{start}, which logs {logged} (did you mean --metric {shlex.quote(close[0])}?)."
    return (
        f"{start}, which logs {logged}; pass one of these to --metric, or log {metric!r} with log({metric!r}, value)."
    )


@contextlib.contextmanager
def noticing_interrupts() -> Iterator[threading.Event]:
    """Set the yielded event when a kernel interrupt (SIGINT) raises ``KeyboardInterrupt`` meanwhile.

    The interrupt still goes to the handler in place (IPython's raises
    ``KeyboardInterrupt``, which the monitor turns into a cancel), so the magic
    can tell an interrupt from a stop button or a time budget. Outside the main
    thread, or when SIGINT has no Python handler, nothing is installed.
    """
    noticed = threading.Event()
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        yield noticed
        return

    def handler(signum: int, frame: Any) -> Any:
        try:
            return previous(signum, frame)
        except KeyboardInterrupt:
            noticed.set()
            raise

    signal.signal(signal.SIGINT, handler)
    try:
        yield noticed
    finally:
        signal.signal(signal.SIGINT, previous)


def _check_resume(args: argparse.Namespace) -> None:
    if not args.resume:
        return
    if not args.name:
        raise UsageError("%%sweep: --resume needs --name NAME (the sweep to continue) and its --storage file.")
    if _options.parse_storage(args.storage or "hyperwidget.db") is None:
        raise UsageError("%%sweep: --resume cannot continue an in-memory sweep (--storage none); give its file.")
    given = [flag for flag, value in (("--sampler", args.sampler), ("--policy", args.policy)) if value]
    if given:
        raise UsageError(
            f"%%sweep: --resume continues the stored sweep with its stored sampler and policy; drop {', '.join(given)}."
        )


def _space_dict(shell: Any, name: str | None) -> dict[str, Any] | None:
    if name is None:
        return None
    if name not in shell.user_ns:
        raise UsageError(f"%%sweep: --space {name}: no variable {name!r} in the notebook; define the dict first.")
    value = shell.user_ns[name]
    if not hasattr(value, "items"):
        raise UsageError(f"%%sweep: --space {name}: expected a dict of name -> expression, got {type(value).__name__}.")
    return dict(value.items())


def _points_list(shell: Any, name: str | None) -> list[dict[str, Any]] | None:
    """The notebook's list of known configurations named by ``--points``; ``UsageError`` names what is wrong."""
    if name is None:
        return None
    if name not in shell.user_ns:
        raise UsageError(
            f"%%sweep: --points {name}: no variable {name!r} in the notebook; define it first, e.g. "
            f"{name} = [{{'lr': 0.01, 'depth': 4}}]."
        )
    value = shell.user_ns[name]
    if isinstance(value, (str, bytes)) or hasattr(value, "items") or not isinstance(value, (list, tuple)):
        raise UsageError(
            f"%%sweep: --points {name}: expected a list of dicts of hyperparameter name -> value, got "
            f"{type(value).__name__}; e.g. {name} = [{{'lr': 0.01, 'depth': 4}}]."
        )
    wrong = [i for i, point in enumerate(value) if not hasattr(point, "items")]
    if wrong:
        raise UsageError(
            f"%%sweep: --points {name}: item {wrong[0]} is a {type(value[wrong[0]]).__name__}, not a dict of "
            "hyperparameter name -> value."
        )
    return [dict(point.items()) for point in value]


@magics_class
class SweepMagics(Magics):
    """Registers ``%%sweep``."""

    def _shell(self) -> InteractiveShell:
        """The IPython shell the magic was registered with."""
        if self.shell is None:
            raise UsageError("%%sweep runs in an IPython shell: load it there with %load_ext hyperwidget.")
        return self.shell

    @magic_arguments(name="%sweep")  # the usage line is "%" + this name: it must read %%sweep
    @argument(
        "--metric",
        metavar="NAME",
        help="primary metric (default: the one name the cell logs, or 'metric' when the cell ends with a value); "
        "several objectives separated by commas, the primary first: --metric error,size",
    )
    @argument(
        "--goal",
        default="maximize",
        metavar="maximize|minimize",
        help="goal of the metric (default maximize); one per metric separated by commas (min,min), or one for all",
    )
    @argument(
        "--sampler",
        metavar="SAMPLER",
        help=f'{" | ".join(SAMPLERS)}, optionally with keywords: "bayesian(n_initial=5)" (default random)',
    )
    @argument("--seed", type=int, metavar="INT", help="seed of the sampler")
    @argument(
        "--policy",
        metavar="POLICY",
        help=f"early termination: {' | '.join(POLICIES)}, with keywords as in "
        '"bandit(slack_factor=0.1, delay_evaluation=5)" or "asha(max_resource=27)" (default none)',
    )
    @argument(
        "--max-total-runs",
        type=_options.positive_int,
        metavar="N",
        help="trials to run (default: the grid size, else 20)",
    )
    @argument(
        "--max-concurrent-runs",
        type=_options.positive_int,
        metavar="N",
        help="trials at once (default: 1 for sequential, else the number of CPUs)",
    )
    @argument(
        "--backend",
        default=DEFAULT_BACKEND,
        metavar="|".join(BACKENDS),
        help="where trials run (default loky: worker processes, which receive the notebook names the cell uses)",
    )
    @argument("--trial-timeout", type=_options.positive_float, metavar="SECONDS", help="stop a trial after this")
    @argument(
        "--max-duration-minutes",
        type=_options.positive_float,
        metavar="MINUTES",
        help="budget of the whole sweep; then it is canceled, finished trials kept",
    )
    @argument(
        "--constraint",
        action="append",
        metavar="'METRIC <= VALUE'",
        help="a bound on a logged metric, e.g. 'latency <= 5' (repeatable); violating trials are never the best",
    )
    @argument("--name", metavar="NAME", help="sweep name (default: a timestamped one)")
    @argument(
        "--storage",
        metavar="PATH|none",
        help="SQLite file of the records (default hyperwidget.db); none keeps the sweep in memory",
    )
    @argument("--resume", action="store_true", help="continue the stored sweep --name (same cell)")
    @argument("--space", metavar="DICTNAME", help="take (more) hyperparameters from this dict of the notebook")
    @argument(
        "--points",
        metavar="LISTNAME",
        help="run these known configurations first: a list of dicts of the notebook, e.g. [{'lr': 0.01}] "
        "(with --resume: more points for the stored sweep)",
    )
    @argument("-o", "--out", metavar="VAR", help="store the sweep's run object in this variable")
    @argument("--no-monitor", action="store_true", help="do not display the live monitor")
    @argument(
        "--mlflow",
        nargs="?",
        const="",
        metavar="URI",
        help="mirror the sweep to MLflow (at URI, else MLflow's own tracking URI): a parent run, a run per trial",
    )
    @cell_magic
    def sweep(self, line: str, cell: str) -> None:
        """Run a hyperparameter sweep whose trial is this cell.

        Declare the hyperparameters at the top of the cell, then write the trial;
        log metrics with ``log("accuracy", acc)`` (or ``Run.get_context().log``) or
        end the cell with the metric's value. The cell sees the notebook's variables,
        also in worker processes. ``log``, ``Run`` and the search-space functions
        need no import. Example::

            %%sweep --metric accuracy --max-total-runs 20 --policy "bandit(slack_factor=0.1)" -o result
            lr = loguniform(-9, -2)
            depth = choice(2, 4, 8)
            model = train(X_train, y_train, lr=lr, depth=depth)
            for epoch in range(10):
                model.step()
                log("accuracy", model.score(X_val, y_val))

        Several objectives: ``--metric error,size --goal min,min`` (the first is the
        primary metric; ``run.pareto_front()`` uses them all).

        If the first trials all fail, the sweep stops and shows the first error.
        A ``--metric`` the cell never logs is refused before any trial starts.
        Interrupting the kernel cancels the sweep, keeps its finished trials, binds
        ``-o``, and then ends the cell as interrupted (so "Run All" stops there).
        """
        args = _parse_line(self.sweep, line)
        _check_resume(args)
        settings = _options.engine_settings(args)
        sampler_spec = _options.parse_sampler(args.sampler)
        shell = self._shell()
        source = shell.transform_cell(cell)
        compiled = compile_cell(
            source,
            shell.user_ns,
            space=_space_dict(shell, args.space),
            fallbacks=_fallback_names(),
            magic_line=f"%%sweep {line}",
            typed=cell,
        )
        metric = _primary_metric(args, compiled)
        if args.metric:
            for name in [metric] if isinstance(metric, str) else metric:
                _check_metric_is_logged(name, source, compiled)
        points = _points_list(shell, args.points)
        if points is not None:
            settings["points_to_evaluate"] = points
        if args.resume:
            settings["resume"] = True
        else:
            settings["sampler"] = sampler_spec.build(compiled.space, args.seed)
        if not get_backend(settings["backend"]).in_process:
            compiled.trial.check_picklable()
        observers = _options.parse_mlflow(args.mlflow)
        with noticing_interrupts() as interrupted:
            run, failed = _run(compiled, metric, settings, monitor=not args.no_monitor, observers=observers)
        if args.out:
            shell.user_ns[args.out] = run
        if failed is not None:  # the engine's fail-fast verdict, shown with the cell's own traceback
            if not isinstance(failed.first, TrialRecord):
                raise failed
            raise TrialsFailedError(failed, failed.first) from None
        if interrupted.is_set():  # the run is bound and stored: now stop the notebook as any interrupt does
            raise SweepInterrupted(run, args.out)


def _run(
    compiled: CompiledCell,
    metric: str | list[str],
    settings: dict[str, Any],
    *,
    monitor: bool,
    observers: list[Any],
) -> tuple[Any, SweepFailedError | None]:
    """Start the sweep through the live monitor and wait for it: the run, and its error if its trials failed.

    ``observers`` (``--mlflow``'s logger) watch the sweep beside the monitor's own.
    """
    from hyperwidget.notebook.live import run_with_monitor
    from hyperwidget.sweep import launch, prepare_sweep

    started: list[Any] = []

    def start(monitors: list[Any]) -> Any:
        watchers = [*monitors, *observers]
        started.append(
            launch(prepare_sweep(compiled.trial, compiled.space, metric=metric, observers=watchers, **settings))
        )
        return started[0]

    try:
        return run_with_monitor(start, show=monitor), None
    except SweepFailedError as failed:  # the run exists and holds every trial: bind it, then say what failed
        if not started:
            raise
        return started[0], failed
    except HyperwidgetError as exc:  # a setting the engine rejects (SweepConfigError, SearchSpaceError)
        if not isinstance(exc, ValueError):
            raise
        raise UsageError(f"%%sweep: {as_options(str(exc))}") from None


_SETTING = re.compile(
    r"\b(resume|backend|max_total_runs|max_concurrent_runs|trial_timeout|max_duration_minutes|seed|name|storage)"
    r"=(['\"]?)([^\s'\",;)]+)\2"
)


def as_options(message: str) -> str:
    """An engine message in the magic's words: ``max_concurrent_runs=2`` -> ``--max-concurrent-runs 2``."""

    def option(match: re.Match[str]) -> str:
        flag = "--" + match.group(1).replace("_", "-")
        return flag if match.group(3) == "True" else f"{flag} {match.group(3)}"

    return _SETTING.sub(option, message)


def load_ipython_extension(ipython: Any) -> None:
    """Register the ``%%sweep`` magic (``%load_ext hyperwidget``)."""
    ipython.register_magics(SweepMagics)
