"""Command line: ``python -m hyperwidget demo`` runs the quick-start sweep; ``show`` and ``list`` read sweep files.

``python -m hyperwidget list hyperwidget.db`` lists the sweeps of a file;
``python -m hyperwidget show hyperwidget.db NAME`` prints one (the newest without NAME).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from hyperwidget.errors import HyperwidgetError
from hyperwidget.names import escape_control

DEFAULT_FILE = "hyperwidget.db"


def demo(args: argparse.Namespace) -> int:
    """Tune an SGD classifier on the digits data: Bayesian sampling, median stopping, 2 worker processes."""
    from hyperwidget._demo import train_digits
    from hyperwidget.api import run_sweep
    from hyperwidget.console import ConsoleProgress
    from hyperwidget.policies import MedianStoppingPolicy
    from hyperwidget.samplers import BayesianParameterSampling
    from hyperwidget.space import choice, log_uniform

    space = {
        "alpha": log_uniform(1e-6, 1e-1),
        "eta0": log_uniform(1e-4, 1.0),
        "loss": choice("hinge", "log_loss", "modified_huber"),
    }
    run = run_sweep(
        train_digits,
        metric="accuracy",
        goal="maximize",
        sampler=BayesianParameterSampling(space, seed=args.seed),
        policy=MedianStoppingPolicy(evaluation_interval=1, delay_evaluation=5),
        max_total_runs=args.trials,
        max_concurrent_runs=args.workers,
        backend=args.backend,
        storage=args.storage,
        name=args.name,
        observers=[ConsoleProgress()],
        monitor=False,
    )
    print()
    print(top_table(run))
    best = run.get_best_run_by_primary_metric()
    return 0 if best is not None and best.best_primary_metric > 0.85 else 1


def top_table(run: Any, count: int = 5) -> str:
    """The ``count`` best children as text, ranked by the rule the progress lines and ``best:`` use.

    That rule is the package's one "best": a child's best value of the primary
    metric, goal-aware, with failed and infeasible children last
    (:func:`hyperwidget.results.trial_value`, as in ``best_so_far`` and
    ``get_best_run_by_primary_metric``). The column says so (``best accuracy``);
    the final value is shown beside it, labelled ``final accuracy``.
    """
    from hyperwidget.results import trial_value
    from hyperwidget.trial import Goal

    goal = Goal.parse(run.goal)
    frame = run.to_dataframe()
    rank = {t.id: goal.sign() * trial_value(t, run.metric, goal, run.is_feasible) for t in run.trials}
    frame["_rank"] = frame["run_id"].map(rank)
    frame = frame.sort_values("_rank", na_position="last", kind="stable").head(count)  # a loss: lowest first
    names = {f"best_{run.metric}": f"best {run.metric}", run.metric: f"final {run.metric}"}
    params = [name for name in _param_columns(run) if name in frame.columns]
    columns = ["run_id", "status", *params, *[c for c in names if c in frame.columns], "steps"]
    return str(frame[columns].rename(columns=names).to_string(index=False))


def _param_columns(run: Any) -> list[str]:
    names: dict[str, None] = {}
    for t in run.trials:
        names.update(dict.fromkeys(t.params))
    return list(names)


def show(args: argparse.Namespace) -> int:
    """Print a stored sweep's children, best first."""
    from hyperwidget.api import load_sweep

    results = load_sweep(args.name, args.storage)
    _print(repr(results))
    frame = results.to_dataframe()
    column = f"best_{results.metric}"
    _print(frame.sort_values(column, ascending=results.goal.value == "minimize").to_string(index=False))
    return 0


def _print(text: str, file: TextIO | None = None) -> None:
    """Print text read from a sweep file with its control characters escaped (no terminal escape sequences)."""
    print(escape_control(text), file=file or sys.stdout)


def list_sweeps(args: argparse.Namespace) -> int:
    """Print the names of the sweeps in a file."""
    from hyperwidget.storage import SqliteStorage

    store = SqliteStorage(args.storage, read_only=True)
    try:
        names = store.sweep_names()
    finally:
        store.close()
    for name in names:
        _print(name)
    return 0


def browse_file(args: argparse.Namespace) -> int:
    """Print every sweep of a file (status, trials, best, dates) and its hyperparameters' importance."""
    import shutil

    from hyperwidget.importance import ImportanceError, param_importance
    from hyperwidget.notebook.browser import SweepFile

    width = max(40, shutil.get_terminal_size((100, 24)).columns)
    sweeps = SweepFile(args.storage)
    summaries = sweeps.read()
    if sweeps.error:
        raise HyperwidgetError(sweeps.error)
    _print(f"{len(summaries)} sweep{'s' if len(summaries) != 1 else ''} in {args.storage}")
    if not summaries:
        return 0
    for line in browse_table(summaries, width):
        _print(line)
    names = [s.name for s in summaries]
    if args.sweep is not None and args.sweep not in names:
        raise HyperwidgetError(f"no sweep named {args.sweep!r} in {args.storage!r}; the file holds {names}.")
    for summary in summaries:
        if args.sweep is not None and summary.name != args.sweep:
            continue
        results = sweeps.results(summary.name)
        _print("")
        _print(_fit(f"parameter importance of {summary.name} ({summary.metric}, {summary.goal}):", width))
        if results is None:
            _print(_fit(f"  unreadable: {summary.error}", width))
            continue
        try:
            importance = param_importance(results, space=sweeps.space(summary.name))
        except ImportanceError as error:
            _print(_fit(f"  {error}", width))
            continue
        for line in importance_lines(importance, width):
            _print(line)
    return 0


def _fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, with an ellipsis when cut."""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def _date(seconds: float | None) -> str:
    import time

    return "—" if seconds is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def browse_table(summaries: Sequence[Any], width: int) -> list[str]:
    """The sweeps as text columns no wider than ``width``: the name column gives way first, then the dates."""
    header = ["sweep", "status", "trials", "best", "started", "ended"]
    rows = [
        [
            s.name,
            s.status,
            f"{s.n_finished}/{s.n_trials}",
            f"{_number(s.best)} {s.metric} ({'min' if s.goal == 'minimize' else 'max'})" if s.metric else "—",
            _date(s.started_at),
            _date(s.ended_at),
        ]
        for s in summaries
    ]
    keep = len(header)
    while keep > 4:  # drop the end date, then the start date, when even a short name leaves no room
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(keep)]
        if sum(widths[1:]) + 2 * (keep - 1) + 12 <= width:
            break
        keep -= 1
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(keep)]
    widths[0] = max(5, min(widths[0], width - sum(widths[1:]) - 2 * (keep - 1)))
    lines = []
    for row in [header, *rows]:
        cells = [_fit(row[0], widths[0]).ljust(widths[0])]
        cells += [
            cell.rjust(w) if i in (2,) else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row[1:keep], widths[1:], strict=True), start=1)
        ]
        lines.append(_fit("  ".join(cells).rstrip(), width))
    return lines


def importance_lines(importance: Any, width: int) -> list[str]:
    """One line per hyperparameter: name, a bar and the share, within ``width``."""
    names = [str(n) for n in importance.index]
    name_width = min(max(len(n) for n in names), max(8, width // 3))
    bar_width = max(5, width - name_width - 10)
    lines = []
    for name, share in zip(names, importance.to_numpy(), strict=True):
        bar = "█" * round(float(share) * bar_width)
        lines.append(_fit(f"  {_fit(name, name_width).ljust(name_width)} {bar} {share:.0%}", width))
    used, finished = importance.attrs["n_trials"], importance.attrs["n_finished"]
    fitted = f"the latest {used} of {finished}" if used < finished else str(used)
    lines.append(_fit(f"  ({fitted} finished trials; random forest, permutation importance)", width))
    return lines


def _is_file(text: str) -> bool:
    return Path(text).is_file() or text.endswith((".db", ".sqlite", ".sqlite3"))


def _storage_and_name(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Read ``FILE`` (and for ``show`` ``NAME``) from the positionals; ``--storage FILE`` also works.

    ``show`` takes ``FILE NAME`` or ``NAME FILE``; a lone positional is the file when it is one
    (or ends with ``.db``), else the sweep's name.
    """
    given = list(args.positionals)
    most = 2 if args.command == "show" else 1
    if len(given) > most:
        expected = "[FILE] [NAME]" if most == 2 else "[FILE]"
        parser.error(f"{args.command}: too many arguments {given}; expected {expected}.")
    file, name = None, None
    if args.command in ("list", "browse") and given:
        file = given[0]
    elif len(given) == 1:
        file, name = (given[0], None) if _is_file(given[0]) else (None, given[0])
    elif len(given) == 2:
        swapped = _is_file(given[1]) and not _is_file(given[0])
        file, name = (given[1], given[0]) if swapped else (given[0], given[1])
    if file is not None and args.storage is not None:
        parser.error(
            f"{args.command}: the file is given twice ({file!r} and --storage {args.storage!r}); give it once."
        )
    args.storage = file or args.storage or DEFAULT_FILE
    args.name = name


def main(argv: Sequence[str] | None = None) -> int:
    from hyperwidget.executor import BACKENDS, DEFAULT_BACKEND, get_backend

    parser = argparse.ArgumentParser(prog="python -m hyperwidget", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run_demo = commands.add_parser(
        "demo", help="run the quick-start sweep (SGD classifier on digits) and print the best"
    )
    run_demo.add_argument("--trials", type=int, default=16)
    run_demo.add_argument("--workers", type=int, default=2)
    run_demo.add_argument(
        "--backend",
        default=DEFAULT_BACKEND,
        choices=list(BACKENDS),
        help="where trials run (dask needs a running dask.distributed Client)",
    )
    run_demo.add_argument("--seed", type=int, default=0)
    run_demo.add_argument("--storage", default=DEFAULT_FILE)
    run_demo.add_argument("--name", default=None)
    run_demo.set_defaults(func=demo)
    show_one = commands.add_parser(
        "show",
        help="print a stored sweep (the newest one when no NAME is given)",
        usage="python -m hyperwidget show [FILE] [NAME] [--storage FILE]",
    )
    show_one.add_argument(
        "positionals",
        nargs="*",
        metavar="FILE NAME",
        help=f"the sweep file (default {DEFAULT_FILE}) and the sweep's name, in either order",
    )
    show_one.add_argument("--storage", default=None, metavar="FILE", help="the sweep file (same as FILE)")
    show_one.set_defaults(func=show)
    listing = commands.add_parser(
        "list", help="list the sweeps in a file", usage="python -m hyperwidget list [FILE] [--storage FILE]"
    )
    listing.add_argument("positionals", nargs="*", metavar="FILE", help=f"the sweep file (default {DEFAULT_FILE})")
    listing.add_argument("--storage", default=None, metavar="FILE", help="the sweep file (same as FILE)")
    listing.set_defaults(func=list_sweeps)
    browsing = commands.add_parser(
        "browse",
        help="print every sweep of a file (status, trials, best, dates) and its hyperparameters' importance",
        usage="python -m hyperwidget browse [FILE] [--storage FILE] [--sweep NAME]",
    )
    browsing.add_argument("positionals", nargs="*", metavar="FILE", help=f"the sweep file (default {DEFAULT_FILE})")
    browsing.add_argument("--storage", default=None, metavar="FILE", help="the sweep file (same as FILE)")
    browsing.add_argument("--sweep", default=None, metavar="NAME", help="the importance of this sweep only")
    browsing.set_defaults(func=browse_file)
    args = parser.parse_args(argv)
    if args.command in ("show", "list", "browse"):
        _storage_and_name(parser, args)
    if args.command == "demo":
        args.workers = get_backend(args.backend).limit_concurrency(args.workers)
    try:
        return int(args.func(args))
    except HyperwidgetError as error:  # a missing or foreign file, an unknown sweep: the message, no traceback
        _print(f"python -m hyperwidget {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
