"""Re-execute every tutorial notebook in place, so the committed notebooks carry outputs of a clean run.

Usage (from the repository root)::

    python notebooks/execute.py                     # all notebooks/NN_*.ipynb, one after another
    python notebooks/execute.py 03_sampling.ipynb   # only these

Each notebook runs top to bottom in a fresh ``python3`` kernel whose working
directory is ``notebooks/``; the widget state (the live monitor's last view) is
stored with the outputs. Files the notebooks write at run time (``hyperwidget.db``,
``hyperwidget_runs/``, ``train.py``, ...) are removed first, so every run starts
clean; they are listed in ``notebooks/.gitignore``. Stops at the first notebook
with an error and leaves that notebook unchanged.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
#: Seconds one cell may take before the run fails.
CELL_TIMEOUT = 300
#: Files and folders the notebooks create when they run.
GENERATED = (
    "hyperwidget.db",
    "hyperwidget.db-wal",
    "hyperwidget.db-shm",
    "hyperwidget_runs",
    "outputs",
    "data.csv",
    "train.py",
    "best_model.pkl",
)


def notebook_paths(names: list[str] | None = None) -> list[Path]:
    """The tutorial notebooks in order (``NN_*.ipynb``), or those named."""
    if names:
        return [HERE / Path(name).name for name in names]
    return sorted(HERE.glob("[0-9][0-9]_*.ipynb"))


def clean(folder: Path) -> None:
    """Remove the files the notebooks write at run time."""
    for name in GENERATED:
        path = folder / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def execute(path: Path, cwd: Path, timeout: int = CELL_TIMEOUT) -> nbformat.NotebookNode:
    """Run the notebook at ``path`` top to bottom with its kernel in ``cwd``; return it with outputs.

    Raises ``nbclient.exceptions.CellExecutionError`` on the first failing cell.
    """
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        store_widget_state=True,
        resources={"metadata": {"path": str(cwd)}},
    )
    # A kernel shows figures inline only with its own backend: an MPLBACKEND inherited from the caller
    # (pytest's conftest sets Agg) would leave every figure out of the outputs.
    env = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    client.execute(env=env)
    return notebook


def error_outputs(notebook: nbformat.NotebookNode) -> list[str]:
    """``"cell N: Name: message"`` for every error output of an executed notebook."""
    return [
        f"cell {i}: {out.get('ename')}: {out.get('evalue')}"
        for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebook file names (default: all NN_*.ipynb)")
    args = parser.parse_args(argv)
    for path in notebook_paths(args.notebooks):
        clean(HERE)
        start = time.perf_counter()
        notebook = execute(path, HERE)
        errors = error_outputs(notebook)
        if errors:
            print(f"{path.name}: error outputs, not saved: {errors}", file=sys.stderr)
            return 1
        nbformat.write(notebook, path)
        print(f"{path.name}: executed in {time.perf_counter() - start:.0f} s", flush=True)
    clean(HERE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
