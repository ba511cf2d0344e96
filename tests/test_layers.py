"""The architecture's rules: the import contracts in pyproject.toml hold, and a sweep runs without Jupyter.

The contracts (layers that import only downward, no cycles, no Jupyter below the
notebook layer, private modules kept private) are checked by import-linter's
``lint-imports``, which reads every import statement, function-level ones included.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import hyperwidget as hw

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports(config: Path, cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess[str]:
    command = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert command, "lint-imports not found: pip install -e '.[test]' installs import-linter"
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    return subprocess.run(
        [command, "--config", str(config), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_import_contracts_in_pyproject_are_kept() -> None:
    result = _lint_imports(ROOT / "pyproject.toml", ROOT, ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_import_linter_counts_a_cycle_made_by_a_function_level_import(tmp_path: Path) -> None:
    package = tmp_path / "cyclic"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "low.py").write_text("def f():\n    from cyclic import high\n\n    return high\n")
    (package / "high.py").write_text("from cyclic import low\n")
    config = tmp_path / "contracts.toml"
    config.write_text(
        textwrap.dedent("""
        [tool.importlinter]
        root_package = "cyclic"

        [[tool.importlinter.contracts]]
        name = "no cycles"
        type = "acyclic_siblings"
        ancestors = ["cyclic"]

        [[tool.importlinter.contracts]]
        name = "layers"
        type = "layers"
        containers = ["cyclic"]
        layers = ["high", "low"]
    """)
    )
    result = _lint_imports(config, tmp_path, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "2 broken" in result.stdout and "cyclic.low -> cyclic.high" in result.stdout


def test_no_module_is_in_an_import_cycle_with_the_root_package() -> None:
    """``acyclic_siblings`` compares siblings only: this checks the edges into ``hyperwidget`` itself."""
    import grimp

    graph = grimp.build_graph("hyperwidget", cache_dir=None)
    importers = graph.find_modules_that_directly_import("hyperwidget")
    cycles = [m for m in importers if graph.find_shortest_chain(importer="hyperwidget", imported=m)]
    assert not cycles, f"these modules import the root package, which imports them back: {cycles}"


def test_a_sweep_runs_without_importing_ipython_or_widgets() -> None:
    code = (
        "import sys, hyperwidget as hw\n"
        "hw.run_sweep(lambda x: x, {'x': hw.uniform(0, 1)}, metric='m', max_total_runs=2, "
        "backend='sequential', storage=None)\n"
        "print(sorted(m for m in ('IPython', 'ipywidgets', 'anywidget', 'ipykernel') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_a_metric_never_logged_warns_with_a_did_you_mean() -> None:
    with (
        pytest.warns(hw.HyperwidgetWarning, match="did you mean metric='accuracy'"),
        pytest.raises(hw.SweepFailedError, match="the primary metric 'acuracy' was never logged"),
    ):
        hw.run_sweep(
            lambda x: {"accuracy": x},
            {"x": hw.uniform(0, 1)},
            metric="acuracy",
            max_total_runs=2,
            backend="sequential",
            storage=None,
        )
