"""Plots: the numbers of each *_info function on hand-built records, and that each figure draws."""

from __future__ import annotations

import math
import sys
from types import SimpleNamespace

import matplotlib
import pytest

matplotlib.use("Agg")

from hyperwidget import plots
from hyperwidget.trial import Goal, TrialRecord, TrialStatus

S = TrialStatus


def _trial(index, params, status=S.COMPLETED, ended=None, **metrics):
    return TrialRecord(
        id=f"t{index}",
        index=index,
        params=params,
        status=status,
        metrics={k: tuple(v) for k, v in metrics.items()},
        created_at=100.0,
        started_at=100.0 + index,
        ended_at=ended,
    )


def _results(trials, metric="acc", goal=Goal.MAXIMIZE):
    return SimpleNamespace(trials=trials, metric=metric, goal=goal)


# Trial 2 ends first, trial 0 last; trial 1 failed without a value; trial 4 still runs;
# trial 5 diverged (failed after good values: it never counts as the best).
TRIALS = [
    _trial(0, {"lr": 0.001, "opt": "adam", "k": 1}, ended=150.0, acc=[0.2, 0.5, 0.7], size=[3.0]),
    _trial(1, {"lr": 0.01, "opt": "sgd", "k": 1}, status=S.FAILED, ended=120.0),
    _trial(2, {"lr": 0.1, "opt": "adam", "k": 1}, ended=110.0, acc=[0.6, 0.65], size=[2.0]),
    _trial(3, {"lr": 1.0, "opt": "sgd", "k": 1}, status=S.STOPPED_EARLY, ended=130.0, acc=[0.1], size=[1.0]),
    _trial(4, {"lr": 0.5, "opt": "sgd", "k": 1}, status=S.RUNNING, acc=[0.99]),
    _trial(5, {"lr": 0.3, "opt": "sgd", "k": 1}, status=S.FAILED, ended=140.0, acc=[0.95, math.nan], size=[0.5]),
]


def test_best_so_far_by_trial_in_completion_order():
    info = plots.best_so_far_info(_results(TRIALS))
    assert info.trial_ids == ["t2", "t1", "t3", "t5", "t0"]  # finished ones, by end time; not the running one
    assert info.x == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert info.values[0] == 0.65 and math.isnan(info.values[1]) and info.values[2] == 0.1
    assert math.isnan(info.values[3]) and info.values[4] == 0.7  # the diverged trial's 0.95 does not count
    assert info.best == [0.65, 0.65, 0.65, 0.65, 0.7]


def test_best_so_far_by_time_and_minimize():
    info = plots.best_so_far_info(_results(TRIALS, goal="minimize"), x="time")
    assert info.x == [10.0, 20.0, 30.0, 40.0, 50.0]  # seconds from the first start (100.0)
    assert info.best == [0.6, 0.6, 0.1, 0.1, 0.1]  # minimize: each trial's best is its smallest value
    with pytest.raises(ValueError, match=r"x must be one of \('trial', 'time'\), got x='steps'"):
        plots.best_so_far_info(_results(TRIALS), x="steps")


def test_learning_curves_mark_stopped_and_best():
    info = plots.learning_curves_info(_results(TRIALS))
    by_id = {c.trial_id: c for c in info.curves}
    assert list(by_id) == ["t0", "t2", "t3", "t4", "t5"]
    assert by_id["t0"].steps == [1, 2, 3] and by_id["t0"].values == [0.2, 0.5, 0.7]
    assert by_id["t3"].stopped and not by_id["t0"].stopped
    assert [c.trial_id for c in info.curves if c.best] == ["t4"]  # best by the primary metric (0.99, live)
    other = plots.learning_curves_info(_results(TRIALS), metric="size")
    assert [c.trial_id for c in other.curves] == ["t0", "t2", "t3", "t5"]


def test_parallel_coordinates_axes():
    info = plots.parallel_coordinates_info(_results(TRIALS))
    names = [a.name for a in info.axes]
    assert names == ["lr", "opt", "acc"]  # 'k' never varies; the metric is the last axis
    lr, opt, acc = info.axes
    assert info.trial_ids == ["t0", "t2", "t3"]  # finished with a value: not t1, t5 (failed), t4 (running)
    assert lr.log and lr.positions == pytest.approx([0.0, 2 / 3, 1.0])
    assert lr.tick_labels[0] == "0.001" and lr.tick_labels[-1] == "1"
    assert opt.categorical and opt.tick_labels == ["adam", "sgd"] and opt.positions == [0.0, 0.0, 1.0]
    assert not acc.log and acc.positions == pytest.approx([1.0, 0.55 / 0.6, 0.0])
    only = plots.parallel_coordinates_info(_results(TRIALS), params=["opt"])
    assert [a.name for a in only.axes] == ["opt", "acc"]
    with pytest.raises(ValueError, match=r"unknown params \['depth'\]; the trials have: \['k', 'lr', 'opt'\]"):
        plots.parallel_coordinates_info(_results(TRIALS), params=["depth"])


def test_declared_space_sets_log_scale_and_category_order():
    from hyperwidget import space as hs

    results = _results(TRIALS)
    sampler = SimpleNamespace(space={"lr": hs.uniform(0.001, 1.0), "opt": hs.choice("sgd", "adam")})
    results.config = SimpleNamespace(sampler=sampler)
    lr, opt, _ = plots.parallel_coordinates_info(results).axes
    assert not lr.log and lr.positions == pytest.approx([0.0, 0.099 / 0.999, 1.0])  # uniform: linear axis
    assert opt.tick_labels == ["sgd", "adam"] and opt.positions == [1.0, 1.0, 0.0]  # choice order
    assert plots.slices_info(results).slices[1].categories == ["sgd", "adam"]


def test_slices():
    info = plots.slices_info(_results(TRIALS))
    lr, opt = info.slices
    assert lr.x == [0.001, 0.1, 1.0] and lr.y == [0.7, 0.65, 0.1] and lr.log
    assert lr.order == [0, 2, 3]
    assert opt.categories == ["adam", "sgd"] and opt.positions == [0.0, 0.0, 1.0]


def test_infeasible_trials_have_no_value():
    results = _results(TRIALS)
    results.is_feasible = lambda t: t.id != "t0"  # e.g. a constraint "size <= 2.5"
    assert plots.best_so_far_info(results).best[-1] == 0.65
    assert "t0" not in plots.parallel_coordinates_info(results).trial_ids
    assert "t0" not in plots.pareto_front_info(results, "acc", "size", goals={"size": "min"}).trial_ids


def test_pareto_indices_dominance_rules():
    losses = [(1.0, 5.0), (2.0, 2.0), (3.0, 3.0), (5.0, 1.0), (2.0, 2.0), (1.0, 6.0)]
    assert plots.pareto_indices(losses) == [0, 1, 3, 4]  # equal points both stay; (3, 3) and (1, 6) are dominated
    assert plots.pareto_indices([]) == []


def test_pareto_front_uses_last_values_and_goals():
    results = _results(TRIALS)
    info = plots.pareto_front_info(results, "acc", "size", goals={"size": "minimize"})
    assert info.goals == (Goal.MAXIMIZE, Goal.MINIMIZE)
    assert info.trial_ids == ["t2", "t3", "t0"]  # completed or stopped early, with both metrics (not t5)
    assert [info.trial_ids[i] for i in info.front] == ["t3", "t2", "t0"]  # sorted by x; none dominates another
    both_max = plots.pareto_front_info(results, "acc", "size", goals=("maximize", "maximize"))
    assert [both_max.trial_ids[i] for i in both_max.front] == ["t0"]
    with pytest.raises(ValueError, match=r"the goal of 'size' is unknown; pass it, e.g. goals=\{'size': 'minimize'\}"):
        plots.pareto_front_info(results, "acc", "size")


@pytest.mark.parametrize(
    "draw",
    [
        lambda r: plots.plot_best_so_far(r),
        lambda r: plots.plot_best_so_far(r, x="time"),
        lambda r: plots.plot_learning_curves(r),
        lambda r: plots.plot_parallel_coordinates(r),
        lambda r: plots.plot_slices(r),
        lambda r: plots.plot_pareto_front(r, "acc", "size", goals={"size": "minimize"}),
    ],
)
def test_every_plot_returns_a_figure_not_left_open_in_pyplot(draw):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    before = plt.get_fignums()
    fig = draw(_results(TRIALS))
    assert isinstance(fig, Figure) and fig.axes
    assert plt.get_fignums() == before  # a notebook shows the returned figure once
    fig.canvas.draw()  # renders without error


def test_plots_of_an_empty_sweep_say_so():
    empty = _results([_trial(0, {"lr": 0.1}, status=S.RUNNING)])
    for fig in (
        plots.plot_best_so_far(empty),
        plots.plot_learning_curves(empty),
        plots.plot_parallel_coordinates(empty),
        plots.plot_slices(empty),
        plots.plot_pareto_front(empty, "acc", "size", goals=("max", "min")),
    ):
        texts = [t.get_text() for ax in fig.axes for t in ax.texts]
        assert any("no " in t for t in texts)


def test_best_so_far_compares_several_sweeps():
    first, second = _results(TRIALS), _results(TRIALS[:3])
    first.name, second.name = "random", "sobol"
    fig = plots.plot_best_so_far([first, second])
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["random", "sobol"]
    assert list(lines[1].get_ydata())[-1] == 0.7  # sobol's 3 trials: t2 (0.65), t1 (failed), t0 (0.7)
    with pytest.raises(ValueError, match="empty list"):
        plots.plot_best_so_far([])


def _seed_sweep(values, metric="loss", goal=Goal.MINIMIZE, start=0.0):
    """A finished sweep whose trials end one second apart, with these final values in order."""
    trials = [
        TrialRecord(
            id=f"s{i}",
            index=i,
            params={},
            status=S.COMPLETED,
            metrics={metric: (v,)},
            created_at=start,
            started_at=start,
            ended_at=start + i + 1.0,
        )
        for i, v in enumerate(values)
    ]
    return _results(trials, metric=metric, goal=goal)


def test_best_so_far_grouped_by_method_gives_median_and_band():
    methods = {
        "random": [_seed_sweep([5, 4, 3, 9]), _seed_sweep([1, 2, 2]), _seed_sweep([3, 3, 0, 0])],
        "bayes": [_seed_sweep([2, 1]), _seed_sweep([4, 0])],
    }
    random, bayes = plots.methods_best_so_far_info(methods, band=(0.0, 1.0))
    assert random.x == [1.0, 2.0, 3.0]  # up to the shortest sweep: every sweep counts at every point
    # best so far per seed: [5, 4, 3], [1, 1, 1], [3, 3, 0]
    assert random.center == [3.0, 3.0, 1.0] and random.low == [1.0, 1.0, 0.0] and random.high == [5.0, 4.0, 3.0]
    assert bayes.sweeps == 2 and bayes.center == [3.0, 0.5]
    mean = plots.methods_best_so_far_info(methods, stat="mean")[0]
    assert mean.center == pytest.approx([3.0, 8 / 3, 4 / 3])


def test_best_so_far_grouped_by_time_reads_each_step_function_on_one_grid():
    methods = {"a": [_seed_sweep([3, 1, 2], start=10.0), _seed_sweep([2, 2, 2, 2], start=50.0)]}
    (info,) = plots.methods_best_so_far_info(methods, x="time")
    assert info.x[0] == 0.0 and info.x[-1] == 3.0 and len(info.x) == 200  # shortest sweep ends 3 s in
    before_first = [c for t, c in zip(info.x, info.center, strict=True) if t < 1.0]
    assert all(math.isnan(c) for c in before_first)  # no trial has ended yet
    assert info.center[-1] == 1.5  # median of 1 and 2


def test_best_so_far_grouped_draws_a_line_and_band_per_method_and_checks_input():
    methods = {"random": [_seed_sweep([3, 2]), _seed_sweep([1, 5])], "sobol": [_seed_sweep([2, 2])]}
    fig = plots.plot_best_so_far(methods)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["random (2 sweeps)", "sobol (1 sweep)"]
    assert len(ax.collections) == 2  # one shaded band each
    with pytest.raises(ValueError, match="stat must be"):
        plots.plot_best_so_far(methods, stat="max")
    with pytest.raises(ValueError, match="band must be"):
        plots.plot_best_so_far(methods, band=(0.9, 0.1))
    with pytest.raises(ValueError, match="non-empty list of sweeps"):
        plots.plot_best_so_far({"random": []})
    with pytest.raises(ValueError, match="share one metric and goal"):
        plots.plot_best_so_far({"a": [_seed_sweep([1])], "b": [_seed_sweep([1], goal=Goal.MAXIMIZE)]})


def test_drawing_into_given_axes():
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2)
    try:
        assert plots.plot_best_so_far(_results(TRIALS), ax=a) is fig
        assert plots.plot_learning_curves(_results(TRIALS), ax=b) is fig
        red_x = [line for line in b.lines if line.get_marker() == "x"]
        assert len(red_x) == 1 and list(red_x[0].get_ydata()) == [0.1]  # the stopped trial, where it stopped
    finally:
        plt.close(fig)


def test_importing_plots_does_not_import_matplotlib():
    import subprocess

    code = "import hyperwidget.plots, sys; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _units_results(declared=True):
    """Three trials over ``units = choice(16, 32, 128)`` (32 never ran) and a categorical ``opt``."""
    from hyperwidget import space as hs

    trials = [
        _trial(0, {"units": 16, "opt": "adam"}, ended=110.0, acc=[0.5]),
        _trial(1, {"units": 128, "opt": "sgd"}, ended=120.0, acc=[0.7]),
        _trial(2, {"units": 16, "opt": "sgd"}, ended=130.0, acc=[0.6]),
    ]
    results = _results(trials)
    if declared:
        space = {"units": hs.choice(16, 32, 128), "opt": hs.choice("adam", "sgd")}
        results.config = SimpleNamespace(sampler=SimpleNamespace(space=space))
    return results


def _axis_labels(ax, x):
    """The tick labels drawn beside parallel axis ``x``: {text: (x, y)}."""
    return {t.get_text(): t.get_position() for t in ax.texts if abs(t.get_position()[0] - x) < 0.5}


def test_numeric_choice_axis_has_a_tick_at_each_choice_value():
    info = plots.parallel_coordinates_info(_units_results())
    units = info.axes[0]
    assert units.tick_labels == ["16", "32", "128"]  # every declared value, not 16, 44, 72, 100, 128
    assert units.ticks == pytest.approx([0.0, 16 / 112, 1.0]) and units.positions == pytest.approx([0.0, 1.0, 0.0])
    fig = plots.plot_parallel_coordinates(_units_results())
    labels = _axis_labels(fig.axes[0], 0)
    assert sorted(labels, key=int) == ["16", "32", "128"]
    assert [labels[k][1] for k in ("16", "32", "128")] == pytest.approx([0.0, 16 / 112, 1.0])


def test_undeclared_numeric_axis_keeps_evenly_spaced_ticks():
    units = plots.parallel_coordinates_info(_units_results(declared=False)).axes[0]
    assert units.ticks == [0.0, 0.25, 0.5, 0.75, 1.0] and units.tick_labels == ["16", "44", "72", "100", "128"]


def test_parallel_tick_labels_sit_beside_their_axis_on_an_opaque_box():
    ax = plots.plot_parallel_coordinates(_units_results()).axes[0]
    line_z = max(line.get_zorder() for line in ax.lines)
    for x, expected in enumerate([["16", "32", "128"], ["adam", "sgd"]]):
        labels = {t.get_text(): t for t in ax.texts if abs(t.get_position()[0] - x) < 0.5}
        assert set(expected) <= set(labels)
        for name in expected:
            text = labels[name]
            assert text.get_position()[0] < x and text.get_horizontalalignment() == "right"  # left of the axis
            box = text.get_bbox_patch()
            assert box is not None and box.get_facecolor()[:3] == (1.0, 1.0, 1.0)  # readable over the lines
            assert text.get_zorder() > line_z


def test_slices_of_a_numeric_choice_tick_each_value():
    fig = plots.plot_slices(_units_results())
    units = fig.axes[0] if fig.axes[0].get_xlabel() == "units" else fig.axes[1]
    assert list(units.get_xticks()) == [16.0, 32.0, 128.0]
    assert [t.get_text() for t in units.get_xticklabels()] == ["16", "32", "128"]
