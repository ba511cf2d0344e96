"""Every trial has its own output folder, and its files (the best model) come back, on every backend."""

from __future__ import annotations

import gc
import os
import textwrap
from pathlib import Path

import pytest
from objectives import save_model

import hyperwidget as hw
from hyperwidget.context import Run
from hyperwidget.executor import ShippedFiles, restore_files
from hyperwidget.executor._outputs import collect_files, safe_relative_name

GRID = {"x": hw.choice(0.1, 0.2, 0.3, 0.4)}


def _check_models(run: hw.SweepRun) -> None:
    """Each child's model file holds its own hyperparameter; the best one comes back with download_file."""
    children = run.get_children()
    assert len(children) == 4 and all(c.status == "Completed" for c in children)
    for child in children:
        assert child.get_file_names() == ["outputs/model.txt"]
        assert child.output_dir is not None and child.output_dir.name == "outputs"
        assert float((child.output_dir / "model.txt").read_text()) == child.get_hyperparameters()["x"]
    best = run.get_best_run_by_primary_metric()
    assert best is not None
    copy = best.download_file("outputs/model.txt", "best_model.txt")
    assert float(Path(copy).read_text()) == 0.4 == best.get_hyperparameters()["x"]
    assert len({c.output_dir for c in children}) == 4


@pytest.mark.parametrize("backend", ["sequential", "threads", "loky"])
def test_each_trial_saves_its_own_model_and_the_best_one_comes_back(backend: str, tmp_path: Path) -> None:
    run = hw.run_sweep(
        save_model,
        GRID,
        metric="acc",
        sampler="grid",
        backend=backend,
        max_concurrent_runs=1 if backend == "sequential" else 2,
        name="m",
        storage="s.db",
    )
    _check_models(run)
    assert run.get_children()[0].output_dir == tmp_path / "hyperwidget_runs" / "m" / "m_0" / "outputs"
    assert not (tmp_path / "outputs").exists(), "no trial wrote into the shared working directory"
    reloaded = hw.load_sweep("m", "s.db").get_best_run_by_primary_metric()
    assert reloaded is not None and reloaded.get_file_names() == ["outputs/model.txt"]


def test_a_sweep_without_a_file_keeps_its_trials_files_in_a_temporary_folder_while_its_runs_live() -> None:
    run = hw.run_sweep(save_model, GRID, metric="acc", sampler="grid", backend="sequential", storage=None)
    best = run.get_best_run_by_primary_metric()
    assert best is not None and best.output_dir is not None
    folder = best.output_dir.parents[2]  # <tmp>/hyperwidget-runs-xxx
    assert folder.name.startswith("hyperwidget-runs-") and not folder.is_relative_to(Path.cwd())
    del run
    gc.collect()
    assert float(Path(best.download_file("outputs/model.txt")).read_text()) == 0.4, "a child run keeps it alive"
    del best
    gc.collect()
    assert not folder.exists(), "removed once the sweep and its child runs are gone"


def test_a_script_trial_writes_to_its_output_dir(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(
        textwrap.dedent("""
            import argparse
            from hyperwidget import Run, output_dir
            parser = argparse.ArgumentParser()
            parser.add_argument("--x", type=float)
            x = parser.parse_args().x
            assert Run.get_context().output_dir == output_dir()
            (output_dir() / "model.txt").write_text(repr(x))
            Run.get_context().log("acc", x)
        """)
    )
    run = hw.run_sweep(
        hw.Script("train.py"), GRID, metric="acc", sampler="grid", backend="threads", name="sc", storage="s.db"
    )
    for child in run.get_children():
        assert child.get_file_names() == ["outputs/model.txt", "std_log.txt"]
        assert child.output_dir == tmp_path / "hyperwidget_runs" / "sc" / child.id / "outputs"
    best = run.get_best_run_by_primary_metric()
    assert best is not None and Path(best.download_file("outputs/model.txt", str(tmp_path))).read_text() == "0.4"


def test_outside_a_sweep_output_dir_is_dot_outputs(tmp_path: Path) -> None:
    assert Run.get_context().output_dir == tmp_path / "outputs" == hw.output_dir()
    assert (tmp_path / "outputs").is_dir()


def test_collected_files_skip_links_and_respect_the_bound(tmp_path: Path) -> None:
    (tmp_path / "outputs").mkdir()
    (tmp_path / "outputs" / "small.txt").write_text("abc")
    (tmp_path / "outputs" / "big.bin").write_bytes(b"x" * 100)
    (tmp_path / "outputs" / "link").symlink_to("/etc/hostname")
    (tmp_path / "dirlink").symlink_to("/etc", target_is_directory=True)
    shipped = collect_files(tmp_path, limit=50)
    assert shipped.files == (("outputs/small.txt", b"abc"),)
    assert shipped.left_behind == ("outputs/big.bin",)


@pytest.mark.parametrize("name", ["../escape.txt", "/tmp/abs.txt", "a/../../b", "", "a\\..\\b"])
def test_restore_refuses_names_reaching_outside(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "trial"
    folder.mkdir()
    assert not safe_relative_name(name)
    assert restore_files(ShippedFiles(((name, b"evil"),)), folder) == [name]
    assert not (tmp_path / "escape.txt").exists() and not Path("/tmp/abs.txt").exists()


def test_restore_never_writes_through_a_symbolic_link(tmp_path: Path) -> None:
    folder, outside = tmp_path / "trial", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    (folder / "outputs").symlink_to(outside, target_is_directory=True)
    (folder / "f.txt").symlink_to(outside / "f.txt")
    shipped = ShippedFiles((("outputs/model.txt", b"evil"), ("f.txt", b"evil"), ("ok/model.txt", b"fine")))
    assert restore_files(shipped, folder) == ["outputs/model.txt", "f.txt"]
    assert os.listdir(outside) == [] and (folder / "ok" / "model.txt").read_bytes() == b"fine"


def test_a_hostile_trial_folder_link_lists_no_files(tmp_path: Path) -> None:
    run = hw.run_sweep(save_model, GRID, metric="acc", sampler="grid", backend="sequential", name="h", storage="s.db")
    child = run.get_children()[0]
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "secret.txt").write_text("no")
    outputs = tmp_path / "hyperwidget_runs" / "h" / "h_0" / "outputs"
    for f in outputs.iterdir():
        f.unlink()
    outputs.rmdir()
    outputs.symlink_to(target, target_is_directory=True)
    assert child.get_file_names() == [] and child.output_dir is None
    with pytest.raises(FileNotFoundError, match=r"has no file 'outputs/secret\.txt'"):
        child.download_file("outputs/secret.txt")
