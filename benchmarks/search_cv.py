"""SweepSearchCV against RandomizedSearchCV, HalvingRandomSearchCV and Optuna's OptunaSearchCV.

Equal numbers of candidates (``--candidates``, 20 by default), 5-fold CV, two
workers for every method (``n_jobs=2``; ours ``max_concurrent_runs=2`` on threads,
plus the same search on loky to measure the backend), on three bundled datasets:

* ``breast_cancer``: StandardScaler + SVC, C and gamma log-uniform;
* ``digits``: StandardScaler + SVC, C and gamma log-uniform;
* ``diabetes``: StandardScaler + SVR, C, gamma and epsilon log-uniform.

Each seed splits the data 70/30 (stratified for classifiers); the searches see
the 70 % only and the table reports the refitted best model's score on the 30 %
(accuracy; R² for diabetes) and the wall time of ``fit``.

Held-out half (the project's rule): the seeds are split *before running*.
Seeds ``0 .. n/2-1`` are the development half; seeds ``n/2 .. n-1`` are held
out: every setting below (the policy's slack, ``n_initial``, the spaces) was fixed
before any held-out seed ran, and nothing was changed after. Both halves are reported.

Run: ``python benchmarks/search_cv.py`` (needs ``pip install optuna-integration``);
``--seeds 8`` by default, writes ``benchmarks/results/search_cv.md`` and
``search_cv.jsonl`` (one line per method, dataset and seed).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")  # two workers on two cores: no nested BLAS threads

import numpy as np
from scipy import stats
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.experimental import enable_halving_search_cv  # noqa: F401 - registers HalvingRandomSearchCV
from sklearn.model_selection import HalvingRandomSearchCV, RandomizedSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR

from hyperwidget import BanditPolicy, SweepSearchCV

RESULTS = Path(__file__).resolve().parent / "results"
#: name -> (loader, estimator factory, is_classifier, {param: (low, high)} log-uniform ranges)
DATASETS: dict[str, tuple[Callable[..., Any], Callable[[], Any], bool, dict[str, tuple[float, float]]]] = {
    "breast_cancer": (
        load_breast_cancer,
        lambda: make_pipeline(StandardScaler(), SVC()),
        True,
        {"svc__C": (1e-3, 1e3), "svc__gamma": (1e-5, 1e0)},
    ),
    "digits": (
        load_digits,
        lambda: make_pipeline(StandardScaler(), SVC()),
        True,
        {"svc__C": (1e-3, 1e3), "svc__gamma": (1e-5, 1e0)},
    ),
    "diabetes": (
        load_diabetes,
        lambda: make_pipeline(StandardScaler(), SVR()),
        False,
        {"svr__C": (1e-2, 1e3), "svr__gamma": (1e-5, 1e0), "svr__epsilon": (1e-3, 1e0)},
    ),
}


def _scipy_space(ranges: dict[str, tuple[float, float]]) -> dict[str, Any]:
    return {name: stats.loguniform(low, high) for name, (low, high) in ranges.items()}


def _optuna_search(estimator: Any, ranges: dict[str, tuple[float, float]], n: int, seed: int) -> Any:
    from optuna.distributions import FloatDistribution
    from optuna.logging import WARNING, set_verbosity
    from optuna_integration import OptunaSearchCV

    set_verbosity(WARNING)
    space = {name: FloatDistribution(low, high, log=True) for name, (low, high) in ranges.items()}
    return OptunaSearchCV(estimator, space, n_trials=n, cv=5, n_jobs=2, random_state=seed, verbose=0)


def methods(n: int) -> dict[str, Callable[[Any, dict[str, tuple[float, float]], int], Any]]:
    """Method name -> factory(estimator, ranges, seed) of an unfitted search with ``n`` candidates."""

    def sweep(**settings: Any) -> Callable[[Any, dict[str, tuple[float, float]], int], Any]:
        return lambda est, ranges, seed: SweepSearchCV(
            est, _scipy_space(ranges), n_trials=n, cv=5, max_concurrent_runs=2, random_state=seed, **settings
        )

    return {
        "RandomizedSearchCV": lambda est, ranges, seed: RandomizedSearchCV(
            est, _scipy_space(ranges), n_iter=n, cv=5, n_jobs=2, random_state=seed
        ),
        "HalvingRandomSearchCV": lambda est, ranges, seed: HalvingRandomSearchCV(
            est, _scipy_space(ranges), n_candidates=n, cv=5, n_jobs=2, random_state=seed
        ),
        "OptunaSearchCV (TPE)": lambda est, ranges, seed: _optuna_search(est, ranges, n, seed),
        "SweepSearchCV bayesian": sweep(),
        "SweepSearchCV bayesian + bandit": sweep(policy=BanditPolicy(slack_factor=0.05, delay_evaluation=2)),
        "SweepSearchCV random": sweep(sampler="random"),
        "SweepSearchCV bayesian, loky": sweep(backend="loky"),
    }


def run_one(method: str, factory: Callable[..., Any], dataset: str, seed: int) -> dict[str, Any]:
    """Fit one search on one seed's 70 % and score it on the 30 %."""
    loader, estimator, classifier, ranges = DATASETS[dataset]
    X, y = loader(return_X_y=True)
    X_fit, X_test, y_fit, y_test = train_test_split(
        X, y, test_size=0.3, random_state=seed, stratify=y if classifier else None
    )
    search = factory(estimator(), ranges, seed)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X_fit, y_fit)
    seconds = time.perf_counter() - start
    folds = int(np.sum(search.cv_results_["n_completed_folds"])) if "n_completed_folds" in search.cv_results_ else None
    return {
        "method": method,
        "dataset": dataset,
        "seed": seed,
        "test_score": float(search.score(X_test, y_test)),
        "cv_score": float(search.best_score_),
        "seconds": seconds,
        "folds_fit": folds,
    }


def _table(rows: list[dict[str, Any]], seeds: list[int]) -> list[str]:
    lines = ["| method | " + " | ".join(f"{d} test / s" for d in DATASETS) + " |", "|---|" + "---|" * len(DATASETS)]
    for method in dict.fromkeys(r["method"] for r in rows):
        cells = []
        for dataset in DATASETS:
            mine = [r for r in rows if r["method"] == method and r["dataset"] == dataset and r["seed"] in seeds]
            if not mine:
                cells.append("–")
                continue
            score = statistics.mean(r["test_score"] for r in mine)
            seconds = statistics.median(r["seconds"] for r in mine)
            cells.append(f"{score:.4f} / {seconds:.1f}")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return lines


def _mean_ranks(rows: list[dict[str, Any]], seeds: list[int], key: str) -> dict[str, float]:
    """Each method's mean rank by ``key`` (1 = highest; ties share their mean rank) over datasets and ``seeds``."""
    ranks: dict[str, list[float]] = {}
    for dataset in DATASETS:
        for seed in seeds:
            group = [r for r in rows if r["dataset"] == dataset and r["seed"] == seed]
            for r in group:
                above = sum(o[key] > r[key] for o in group)
                tied = sum(o[key] == r[key] for o in group)
                ranks.setdefault(r["method"], []).append(above + (tied + 1) / 2)
    return {method: statistics.mean(values) for method, values in ranks.items()}


def _rank_table(rows: list[dict[str, Any]], dev: list[int], held: list[int]) -> list[str]:
    lines = [
        "| method | test-score rank, development | held-out | CV-score rank, development | held-out |",
        "|---|---|---|---|---|",
    ]
    columns = [_mean_ranks(rows, seeds, key) for key in ("test_score", "cv_score") for seeds in (dev, held)]
    for method in dict.fromkeys(r["method"] for r in rows):
        lines.append(f"| {method} | " + " | ".join(f"{c.get(method, math.nan):.2f}" for c in columns) + " |")
    return lines


def report(rows: list[dict[str, Any]], n_seeds: int, candidates: int) -> str:
    """The Markdown report: one table per half (mean test score over seeds / median wall seconds)."""
    dev, held = list(range(n_seeds // 2)), list(range(n_seeds // 2, n_seeds))
    text = [
        "# SweepSearchCV benchmark (`python benchmarks/search_cv.py`)",
        "",
        f"{candidates} candidates per search, 5-fold CV, 2 workers; cells: mean test score over the seeds "
        "(accuracy; R² for diabetes) / median wall seconds of `fit`.",
        "",
        f"## Development half (seeds {dev[0]}–{dev[-1]})",
        "",
        *_table(rows, dev),
        "",
        f"## Held-out half (seeds {held[0]}–{held[-1]}; settings fixed before they ran)",
        "",
        *_table(rows, held),
        "",
        "## Mean ranks over datasets and seeds (1 = best of the methods)",
        "",
        "The test score is the refitted best model's on the held-back 30 %; the CV score is the best mean",
        "cross-validation score the search found, which is what it maximizes.",
        "",
        *_rank_table(rows, dev, held),
        "",
    ]
    stopped = [r for r in rows if r["method"].endswith("bandit") and r["folds_fit"] is not None]
    if stopped:
        share = statistics.mean(r["folds_fit"] / (5 * candidates) for r in stopped)
        text.append(f"The bandit policy fit {share:.0%} of the folds of a full search (all seeds and datasets).")
    return "\n".join(text) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=8, help="number of seeds, split in two halves (default 8)")
    parser.add_argument("--candidates", type=int, default=20, help="candidates per search (default 20)")
    parser.add_argument("--quick", action="store_true", help="2 seeds, 6 candidates: a smoke run")
    parser.add_argument("--report", action="store_true", help="rewrite the report from search_cv.jsonl, run nothing")
    args = parser.parse_args()
    n_seeds, candidates = (2, 6) if args.quick else (args.seeds, args.candidates)
    if args.report:
        rows = [json.loads(line) for line in (RESULTS / "search_cv.jsonl").read_text(encoding="utf-8").splitlines()]
        text = report(rows, n_seeds, candidates)
        (RESULTS / "search_cv.md").write_text(text, encoding="utf-8")
        print(text)
        return
    RESULTS.mkdir(exist_ok=True)
    rows: list[dict[str, Any]] = []
    with open(RESULTS / "search_cv.jsonl", "w", encoding="utf-8") as out:
        for seed in range(n_seeds):  # the development half first: its seeds are the lower ones
            for dataset in DATASETS:
                for method, factory in methods(candidates).items():
                    row = run_one(method, factory, dataset, seed)
                    rows.append(row)
                    out.write(json.dumps(row) + "\n")
                    out.flush()
                    print(json.dumps(row), flush=True)
    text = report(rows, n_seeds, candidates)
    (RESULTS / "search_cv.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
