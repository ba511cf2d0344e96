"""The package root (``hyperwidget/__init__.py`` and its stub ``__init__.pyi``): cheap to import, every public
name resolves, type checkers see the same names as Python, and the version is stated once."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

import pytest

import hyperwidget as hw

PACKAGE = Path(hw.__file__).resolve().parent

#: Modules that ``import hyperwidget`` and ``from hyperwidget import Run`` (a training script's import) leave alone.
HEAVY = (
    "IPython",
    "ipywidgets",
    "anywidget",
    "ipykernel",
    "traitlets",
    "numpy",
    "scipy",
    "sklearn",
    "pandas",
    "matplotlib",
    "joblib",
)


def _stub() -> ast.Module:
    return ast.parse((PACKAGE / "__init__.pyi").read_text(encoding="utf-8"))


def _stub_all() -> list[str]:
    (names,) = [
        node.value
        for node in _stub().body
        if isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["__all__"]
    ]
    return ast.literal_eval(names)


@pytest.mark.parametrize("statement", ["import hyperwidget", "from hyperwidget import Run, log"])
def test_import_loads_no_heavy_module(statement: str) -> None:
    code = f"import sys\n{statement}\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_every_public_name_resolves() -> None:
    missing = [name for name in hw.__all__ if not hasattr(hw, name)]
    assert not missing, f"hyperwidget.__all__ names that do not resolve: {missing}; fix __init__.pyi"
    assert hw.run_sweep.__module__ == "hyperwidget.api"
    assert dir(hw) == hw.__all__


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="run_swep"):
        hw.run_swep  # noqa: B018


def test_the_stub_lists_each_imported_name_once_in_all() -> None:
    imported = [
        alias.asname or alias.name for node in _stub().body if isinstance(node, ast.ImportFrom) for alias in node.names
    ]
    assert len(imported) == len(set(imported))
    assert sorted(_stub_all()) == _stub_all() == hw.__all__
    assert set(_stub_all()) - set(imported) == {"__version__", "load_ipython_extension"}


def test_the_package_is_typed() -> None:
    assert (PACKAGE / "py.typed").is_file()


@pytest.mark.slow
@pytest.mark.xdist_group("mypy")  # with tests/test_tooling.py's mypy run, in one worker: one cold check, not two
def test_mypy_sees_the_public_names(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    user = tmp_path / "user.py"
    user.write_text("import hyperwidget as hw\nreveal_type(hw.run_sweep)\nreveal_type(hw.uniform(0, 1))\nhw.run_swep\n")
    # From the checkout, with pyproject.toml's [tool.mypy] and the checkout's .mypy_cache, as tests/test_tooling.py
    # runs mypy: the same options, so the package is checked once for both. In a process of its own: mypy's
    # in-memory build is large, and left in the test process it slowed every later garbage collection.
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-color-output", "--no-error-summary", str(user)],
        cwd=PACKAGE.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    stdout = result.stdout
    assert 'Revealed type is "def (objective:' in stdout and "-> hyperwidget.sweep.SweepRun" in stdout
    assert 'Revealed type is "hyperwidget.space._hyperdrive.Uniform"' in stdout
    assert 'Module has no attribute "run_swep"' in stdout and result.returncode == 1, stdout + result.stderr


def test_the_version_is_stated_once() -> None:
    assert importlib.metadata.version("hyperwidget") == hw.__version__
    pyproject = (PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert not re.search(r"(?m)^version\s*=", pyproject), "pyproject.toml repeats the version: it reads __init__.py's"
    assert re.search(r'(?m)^dynamic = \["version"\]', pyproject)
