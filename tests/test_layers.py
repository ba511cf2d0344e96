"""The architecture's rules: the engine runs without Jupyter; the notebook layer uses only public engine names."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import hyperwidget as hw

PACKAGE = Path(hw.__file__).parent
# api.py is the package's entry layer above both (it shows the monitor inside a kernel).
ENGINE_MODULES = [p for p in PACKAGE.rglob("*.py") if "notebook" not in p.parts and p.name != "api.py"]


def test_a_sweep_runs_without_importing_ipython_or_widgets() -> None:
    code = ("import sys, hyperwidget as hw\n"
            "hw.run_sweep(lambda x: x, {'x': hw.uniform(0, 1)}, metric='m', max_total_runs=2, "
            "backend='sequential', storage=None)\n"
            "print(sorted(m for m in ('IPython', 'ipywidgets', 'anywidget', 'ipykernel') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return names


@pytest.mark.parametrize("path", ENGINE_MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_engine_modules_import_no_notebook_code(path: Path) -> None:
    bad = [n for n in _imports(path)
           if n.split(".")[0] in ("IPython", "ipywidgets", "anywidget", "ipykernel", "traitlets")
           or n.startswith("hyperwidget.notebook")]
    assert path.name == "__init__.py" or not bad, f"{path} imports {bad}"


@pytest.mark.parametrize("path", sorted((PACKAGE / "notebook").glob("*.py")), ids=lambda p: p.name)
def test_the_notebook_layer_uses_only_public_engine_modules(path: Path) -> None:
    private = [n for n in _imports(path) if n.startswith("hyperwidget.") and not n.startswith("hyperwidget.notebook")
               and any(part.startswith("_") for part in n.split(".")[1:])]
    assert not private, f"{path.name} reaches into engine internals: {private}"


def test_a_metric_never_logged_warns_with_a_did_you_mean() -> None:
    with pytest.warns(hw.HyperwidgetWarning, match="did you mean metric='accuracy'"), \
            pytest.raises(hw.SweepFailedError, match="'acuracy' was never logged"):
        hw.run_sweep(lambda x: {"accuracy": x}, {"x": hw.uniform(0, 1)}, metric="acuracy", max_total_runs=2,
                     backend="sequential", storage=None)
