"""Command line: ``python -m hyperwidget demo`` runs the quick-start sweep; ``show`` and ``list`` read sweep files."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def train_digits(alpha: float, eta0: float, loss: str, epochs: int = 20) -> float:
    """An SGD classifier trained epoch by epoch on scikit-learn's bundled digits; logs validation accuracy."""
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.linear_model import SGDClassifier
    from sklearn.model_selection import train_test_split

    from hyperwidget import log

    X, y = load_digits(return_X_y=True)
    X_train, X_val, y_train, y_val = train_test_split(X / 16.0, y, test_size=0.3, random_state=0, stratify=y)
    model = SGDClassifier(alpha=alpha, eta0=eta0, loss=loss, learning_rate="adaptive", random_state=0)
    accuracy = 0.0
    for _ in range(epochs):
        model.partial_fit(X_train, y_train, classes=np.unique(y))
        accuracy = model.score(X_val, y_val)
        log("accuracy", accuracy)  # one value per epoch: a learning curve the policy can act on
    return accuracy


def demo(args: argparse.Namespace) -> int:
    """Tune an SGD classifier on the digits data: Bayesian sampling, median stopping, 2 worker processes."""
    import hyperwidget as hw
    from hyperwidget.console import ConsoleProgress

    space = {"alpha": hw.log_uniform(1e-6, 1e-1), "eta0": hw.log_uniform(1e-4, 1.0),
             "loss": hw.choice("hinge", "log_loss", "modified_huber")}
    run = hw.run_sweep(train_digits, metric="accuracy", goal="maximize",
                       sampler=hw.BayesianParameterSampling(space, seed=args.seed),
                       policy=hw.MedianStoppingPolicy(evaluation_interval=1, delay_evaluation=5),
                       max_total_runs=args.trials, max_concurrent_runs=args.workers, backend=args.backend,
                       storage=args.storage, name=args.name, observers=[ConsoleProgress()])
    print()
    print(run.to_dataframe()[["run_id", "status", "alpha", "eta0", "loss", "accuracy", "steps"]]
          .sort_values("accuracy", ascending=False).head(5).to_string(index=False))
    best = run.get_best_run_by_primary_metric()
    return 0 if best is not None and best.best_primary_metric > 0.85 else 1


def show(args: argparse.Namespace) -> int:
    """Print a stored sweep's children, best first."""
    import hyperwidget as hw

    results = hw.load_sweep(args.name, args.storage)
    print(results)
    frame = results.to_dataframe()
    column = f"best_{results.metric}"
    print(frame.sort_values(column, ascending=results.goal.value == "minimize").to_string(index=False))
    return 0


def list_sweeps(args: argparse.Namespace) -> int:
    """Print the names of the sweeps in a file."""
    from hyperwidget.storage import SqliteStorage

    for name in SqliteStorage(args.storage, read_only=True).sweep_names():
        print(name)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hyperwidget", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run_demo = commands.add_parser("demo", help="run the quick-start sweep (SGD classifier on digits) and print the best")
    run_demo.add_argument("--trials", type=int, default=16)
    run_demo.add_argument("--workers", type=int, default=2)
    run_demo.add_argument("--backend", default="loky", choices=["loky", "threads", "sequential"])
    run_demo.add_argument("--seed", type=int, default=0)
    run_demo.add_argument("--storage", default="hyperwidget.db")
    run_demo.add_argument("--name", default=None)
    run_demo.set_defaults(func=demo)
    show_one = commands.add_parser("show", help="print a stored sweep")
    show_one.add_argument("name", nargs="?", default=None)
    show_one.add_argument("--storage", default="hyperwidget.db")
    show_one.set_defaults(func=show)
    listing = commands.add_parser("list", help="list the sweeps in a file")
    listing.add_argument("--storage", default="hyperwidget.db")
    listing.set_defaults(func=list_sweeps)
    args = parser.parse_args(argv)
    if getattr(args, "backend", None) == "sequential":
        args.workers = 1
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
