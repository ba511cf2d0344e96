"""The tutorial notebooks run top to bottom in a real kernel, without errors, and show what they promise.

Each notebook is executed with nbclient in a temporary copy of ``notebooks/``
(the kernel's working directory), so a test run never rewrites the committed
notebooks nor leaves the files they write behind. Run only these with
``python -m pytest -m notebooks tests/test_notebooks.py``.
"""

from __future__ import annotations

import importlib.util
import shutil
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.notebooks, pytest.mark.slow]

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
# notebooks/execute.py (the script that refreshes the committed outputs) runs them the same way.
_spec = importlib.util.spec_from_file_location("notebooks_execute", NOTEBOOKS_DIR / "execute.py")
assert _spec is not None and _spec.loader is not None
runner = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(runner)
error_outputs, execute, notebook_paths = runner.error_outputs, runner.execute, runner.notebook_paths

#: Text each executed notebook must show somewhere in its outputs: proof that it did what its prose says.
EXPECTED: dict[str, list[str]] = {
    "01_quick_start.ipynb": [
        "Completed: 16/16 finished",
        "best trial:",
        "best trial's files: ['outputs/model.joblib']",
        "test accuracy",
        "same best trial: True",
        "hyperwidget live monitor",
    ],
    "02_search_spaces.ipynb": [
        "takes exponents, as in HyperDrive",
        "logfinrange(lower=8, upper=256",
        "infinitely many values",
        "min_value must be < max_value",
    ],
    "03_sampling.ipynb": ["10 searches of 20 trials", "mean seconds per search: grid"],
    "04_early_termination.ipynb": [
        "median stopping",
        "ASHA",
        "chosen slack_factor:",
        "identical: True",
        "framed as error (best trial survives: True)",
        "candidates keep the best accuracy",
        "suggested (resamples and top 3):",
        "ASHA, promotion",
    ],
    "05_hyperdrive_worked_example.ipynb": [
        "'status': 'Completed'",
        "'best_primary_metric'",
        "outputs/model.pkl",
        "predicted (1 = malignant)",
        "same best run: True",
    ],
    "06_hpo_as_optimization.ipynb": [
        "validation error over 4 seeds",
        "first trial: True",  # points_to_evaluate ran first
        "bayesian  best errors after 15 trials",
        "trials meet n_params <= 1500; best feasible",
        "bayesian  trials on the front",
        "share of the reference box dominated",
    ],
    "07_scaling_out.ipynb": ["Completed: 12/12 finished", "best:", "worker"],
}

#: Notebooks whose prose discusses figures they draw.
WITH_FIGURES = {
    "01_quick_start.ipynb",
    "02_search_spaces.ipynb",
    "03_sampling.ipynb",
    "04_early_termination.ipynb",
    "06_hpo_as_optimization.ipynb",
}


def output_text(notebook) -> str:  # type: ignore[no-untyped-def]
    """Every stream, plain-text and HTML output of the notebook, joined."""
    parts = []
    for cell in notebook.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            data = out.get("data", {})
            parts.extend(str(data.get(kind, "")) for kind in ("text/plain", "text/html"))
    return "\n".join(parts)


def image_count(notebook) -> int:  # type: ignore[no-untyped-def]
    return sum("image/png" in out.get("data", {}) for cell in notebook.cells for out in cell.get("outputs", []))


def test_every_notebook_has_expectations() -> None:
    names = [p.name for p in notebook_paths()]
    assert names == sorted(EXPECTED), f"notebooks {names} vs expectations {sorted(EXPECTED)}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_notebook_runs_top_to_bottom(name: str, tmp_path: Path) -> None:
    folder = tmp_path / "notebooks"
    shutil.copytree(
        NOTEBOOKS_DIR,
        folder,
        ignore=shutil.ignore_patterns(
            "hyperwidget.db*",
            "hyperwidget_runs",
            "outputs",
            "data.csv",
            "train.py",
            "best_model.pkl",
            ".ipynb_checkpoints",
            "__pycache__",
        ),
    )
    start = time.perf_counter()
    notebook = execute(folder / name, folder, timeout=240)  # raises CellExecutionError on a failing cell
    seconds = time.perf_counter() - start
    assert error_outputs(notebook) == []
    text = output_text(notebook)
    missing = [snippet for snippet in EXPECTED[name] if snippet not in text]
    assert not missing, f"{name}: expected output text not found: {missing}"
    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code_cells if c.source.strip()), "a code cell did not run"
    if name in WITH_FIGURES:
        assert image_count(notebook) >= 1, f"{name} shows no figure"
    print(f"{name}: {seconds:.0f} s")


def test_committed_notebooks_carry_outputs_of_a_clean_run() -> None:
    """The committed notebooks read well on a code host: every code cell ran, in order, without errors."""
    for path in notebook_paths():
        notebook = nbformat.read(path, as_version=4)
        counts = [c.get("execution_count") for c in notebook.cells if c.cell_type == "code" and c.source.strip()]
        assert counts == list(range(1, len(counts) + 1)), f"{path.name}: run notebooks/execute.py to refresh it"
        assert error_outputs(notebook) == [], f"{path.name} was committed with errors"
