"""Series: the O(1) growing, immutable value series of trial records."""

from __future__ import annotations

import math
import pickle

from hyperwidget.trial import Series, TrialRecord, TrialStatus


def test_successive_records_share_one_list_and_earlier_ones_never_change() -> None:
    record = TrialRecord("t_0", 0, {}, TrialStatus.RUNNING)
    snapshots = []
    for value in range(1000):
        record = record.with_value("acc", float(value))
        snapshots.append(record)
    assert all(s.series("acc") == tuple(float(v) for v in range(i + 1)) for i, s in enumerate(snapshots[:50]))
    assert snapshots[-1].series("acc").extends(snapshots[0].series("acc"))  # one list, appended to in place
    older = snapshots[10].with_value("acc", -1.0)  # a branch from an older record copies its items
    assert older.series("acc") == (*(float(v) for v in range(11)), -1.0)
    assert snapshots[11].series("acc")[-1] == 11.0 and len(snapshots[-1].series("acc")) == 1000
    assert not older.series("acc").extends(snapshots[10].series("acc"))


def test_a_series_behaves_as_the_tuple_of_its_values() -> None:
    series = Series([0.5, math.inf]).appended(0.7)
    assert series == (0.5, math.inf, 0.7) and (0.5, math.inf, 0.7) == series
    assert hash(series) == hash((0.5, math.inf, 0.7))
    assert series[1:] == (math.inf, 0.7) and series[-1] == 0.7 and list(reversed(series)) == [0.7, math.inf, 0.5]
    copy = pickle.loads(pickle.dumps(series))
    assert copy == series and not copy.extends(series)  # pickled as its values, not the shared list
    assert {"acc": series} == {"acc": (0.5, math.inf, 0.7)}


def test_steps_start_where_the_first_step_is_given() -> None:
    record = TrialRecord("t_0", 0, {})
    for step in (None, None, 3, 4):
        record = record.with_value("acc", 1.0, step)
    assert record.steps_of("acc") == (None, None, 3, 4)
    assert record.with_value("loss", 2.0).steps_of("loss") == (None,)
