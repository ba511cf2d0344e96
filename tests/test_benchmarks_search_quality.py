"""The search-quality benchmark's split, journal and report, on its catalogue and on small fake journals.

The split into a tuning half and a held-out half is fixed (issue #16); these tests
pin it, and check that the report counts, ranks and judges targets correctly
without running any optimiser.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import os

_environ = dict(os.environ)
import _problems as pb  # noqa: E402
import search_quality as sq  # noqa: E402

# search_quality pins BLAS/OpenMP to one thread for its workers; keep the test process's environment as it was.
os.environ.clear()
os.environ.update(_environ)


# -- the split ------------------------------------------------------------------------------------
def test_every_problem_has_a_half_and_a_group_and_the_counts_are_fixed():
    problems = pb.all_problems()
    counts = Counter((p.half, p.group) for p in problems.values())
    for group in ("d2", "d5", "d10", "d20"):
        assert counts[(pb.TUNING, group)] == 5
        assert counts[(pb.HELD_OUT, group)] == 5
    assert counts[(pb.TUNING, "tasks")] == 5
    assert counts[(pb.HELD_OUT, "tasks")] == 2
    assert sum(counts.values()) == len(problems) == 47


def test_the_halves_share_no_bbob_function_and_the_held_out_half_rotates_instances_2_to_5():
    bbob = [p for p in pb.all_problems().values() if p.bbob is not None]
    tuning = {p.bbob for p in bbob if p.half == pb.TUNING}
    held_out = [p.bbob for p in bbob if p.half == pb.HELD_OUT]
    assert {f for f, _, _ in tuning} == set(pb.TUNING_FUNCTIONS) == {8, 10, 15, 17, 21}
    assert {f for f, _, _ in held_out} == set(pb.HELD_OUT_FUNCTIONS) == {2, 9, 12, 16, 22}
    assert {i for _, _, i in tuning} == {1}
    assert Counter(i for _, _, i in held_out) == {2: 5, 3: 5, 4: 5, 5: 5}
    for function in pb.HELD_OUT_FUNCTIONS:  # each function meets every instance, one per dimension
        assert sorted(i for f, _, i in held_out if f == function) == [2, 3, 4, 5]
    for dim in pb.DIMENSIONS:  # and each dimension meets every instance
        assert {i for _, d, i in held_out if d == dim} == {2, 3, 4, 5}


def test_task_spaces_have_integer_and_categorical_parameters():
    problems = pb.all_problems()
    for name in ("et-wine", "knn-cancer", "gb-synthetic"):
        kinds = {type(e).__name__ for e in problems[name].space.values()}
        assert "Choice" in kinds, name
        assert kinds & {"QUniform", "QLogUniform"}, name
    assert problems["et-wine"].half == pb.TUNING
    assert {problems["knn-cancer"].half, problems["gb-synthetic"].half} == {pb.HELD_OUT}


# -- the journal ----------------------------------------------------------------------------------
def _run(problem: str, method: str, seed: int, best: float | None, error: str | None = None) -> dict:
    losses = [] if best is None else [best + 1.0, best]
    return {
        "problem": problem,
        "method": method,
        "seed": seed,
        "losses": losses,
        "best": best,
        "seconds": 1.0,
        "cpu_seconds": 0.5,
        "error": error,
        "commit": "abc" if method.startswith("hw-") else None,
    }


def _write(journal: Path, runs: list[dict]) -> None:
    journal.write_text("".join(json.dumps(r) + "\n" for r in runs))


def test_journal_keeps_the_latest_run_and_complete_seeds(tmp_path):
    journal = tmp_path / "j.jsonl"
    _write(
        journal,
        [
            _run("branin", "hw-bayesian", 0, 5.0),
            _run("branin", "optuna-tpe", 0, 2.0),
            _run("branin", "hw-bayesian", 0, 1.0),  # a rerun replaces the first
            _run("branin", "hw-bayesian", 1, 1.0),  # seed 1 is incomplete: optuna-tpe lacks it
        ],
    )
    runs = sq.complete_seeds(sq.read_journal(journal))
    assert sorted((r["method"], r["seed"], r["best"]) for r in runs) == [
        ("hw-bayesian", 0, 1.0),
        ("optuna-tpe", 0, 2.0),
    ]


def test_a_seed_is_incomplete_while_a_method_has_not_run_on_a_problem(monkeypatch):
    monkeypatch.setattr(sq, "SKIPPED_GROUPS", {"skopt-gp": ("d20",)})
    runs = [
        _run("branin", "hw-bayesian", 0, 1.0),
        _run("branin", "skopt-gp", 0, 1.0),
        _run("bbob-f10-ellipsoid-d20", "hw-bayesian", 0, 1.0),  # skopt-gp is not expected in d20
        _run("hartmann6", "hw-bayesian", 0, 1.0),
    ]
    assert sq.complete_seeds(runs) == []  # hartmann6 lacks skopt-gp
    runs.append(_run("hartmann6", "skopt-gp", 0, 1.0))
    assert len(sq.complete_seeds(runs)) == 5


def test_drop_runs_removes_only_the_chosen_methods_on_the_chosen_problems(tmp_path):
    journal = tmp_path / "j.jsonl"
    _write(
        journal,
        [
            _run("branin", "hw-bayesian", 0, 1.0),
            _run("hartmann6", "hw-bayesian", 0, 1.0),
            _run("branin", "optuna-tpe", 0, 1.0),
        ],
    )
    assert sq.drop_runs(journal, ["branin"], ["hw-bayesian"]) == 1
    left = {(r["problem"], r["method"]) for r in sq.read_journal(journal)}
    assert left == {("hartmann6", "hw-bayesian"), ("branin", "optuna-tpe")}


def test_plan_puts_seeds_outermost_and_skips_done_runs_and_skipped_groups(monkeypatch):
    monkeypatch.setattr(sq, "SKIPPED_GROUPS", {"skopt-gp": ("d20",)})
    problems = ["bbob-f10-ellipsoid-d20", "branin"]
    methods = ["hw-bayesian", "skopt-gp"]
    tasks = sq.plan(problems, methods, 2, done={("branin", "hw-bayesian", 0)})
    assert [t[2] for t in tasks] == sorted(t[2] for t in tasks)
    assert ("branin", "hw-bayesian", 0) not in tasks
    assert not [t for t in tasks if t[0].endswith("d20") and t[1] == "skopt-gp"]
    assert len(tasks) == 2 * 3 - 1


# -- the report -----------------------------------------------------------------------------------
def _fake_runs() -> list[dict]:
    """hw-bayesian beats optuna-tpe on both held-out tasks and optuna-gp on one; ties optuna-gp on branin."""
    bests = {
        "branin": {"hw-bayesian": 1.0, "optuna-tpe": 3.0, "optuna-gp": 1.0},
        "et-wine": {"hw-bayesian": 0.5, "optuna-tpe": 0.1, "optuna-gp": 0.3},
        "knn-cancer": {"hw-bayesian": 0.1, "optuna-tpe": 0.2, "optuna-gp": 0.05},
        "gb-synthetic": {"hw-bayesian": 0.3, "optuna-tpe": 0.4, "optuna-gp": 0.5},
    }
    runs = []
    for problem, by_method in bests.items():
        for method, best in by_method.items():
            runs += [_run(problem, method, s, best + 0.01 * s) for s in range(3)]
    return runs


def test_summary_ranks_counts_and_targets():
    problems = ["branin", "et-wine", "knn-cancer", "gb-synthetic"]
    summary = sq.summarise(_fake_runs(), problems, ["hw-bayesian", "optuna-tpe", "optuna-gp"])
    # regret against the known optimum (branin) or the best run found (tasks)
    assert summary["median_regret"]["branin"]["hw-bayesian"] == pytest.approx(1.01 - 0.397887357729739)
    assert summary["median_regret"]["knn-cancer"]["optuna-gp"] == pytest.approx(0.01)
    assert summary["ranks"]["branin"] == {"hw-bayesian": 1.5, "optuna-tpe": 3.0, "optuna-gp": 1.5}
    assert summary["mean_rank"]["tuning"]["tasks"]["hw-bayesian"] == pytest.approx((1.5 + 3.0) / 2)
    assert summary["mean_rank"]["held-out"]["tasks"] == {"hw-bayesian": 1.5, "optuna-tpe": 2.5, "optuna-gp": 2.0}
    held_out = summary["versus"]["held-out"]
    assert held_out["optuna-tpe"]["wins"] == ["knn-cancer", "gb-synthetic"]
    assert held_out["optuna-gp"] == {"wins": ["gb-synthetic"], "ties": [], "losses": ["knn-cancer"], "of": 2}
    assert summary["versus"]["tuning"]["optuna-gp"]["ties"] == ["branin"]
    status = {t["target"]: t["met"] for t in summary["targets"]}
    assert status["held-out: lower median regret than optuna-tpe on >= 3/4 of the problems"] is True
    assert status["held-out: lower median regret than optuna-gp on >= 2/3 of the problems"] is False
    assert status["held-out tasks: best mean rank"] is True
    assert status["tuning tasks: best mean rank"] is False  # optuna-gp 1.75 < hw-bayesian 2.25
    report = sq.markdown({**summary, "decision_seconds": {"20-D cpu": {"500": 0.2}}, "time_target": None})
    assert "| held-out tasks: best mean rank | hw-bayesian 1.50, best other optuna-gp 2.00 | **MET** |" in report
    assert "**NOT MET**" in report


def test_time_target():
    assert sq.time_target({"20-D cpu": {"500": 0.05}})["met"] is True
    assert sq.time_target({"20-D cpu": {"500": 0.15}})["met"] is False
    assert sq.time_target({}) is None


def test_report_only_rebuilds_the_report_from_the_journal(tmp_path):
    _write(tmp_path / "search_quality.jsonl", _fake_runs())
    sq.main(["--report-only", "--no-times", "--out", str(tmp_path)])
    summary = json.loads((tmp_path / "search_quality.json").read_text())
    assert summary["settings"]["seeds"] == 3
    assert summary["settings"]["methods"] == ["hw-bayesian", "optuna-tpe", "optuna-gp"]
    assert "## Mean rank, held-out half" in (tmp_path / "search_quality.md").read_text()
