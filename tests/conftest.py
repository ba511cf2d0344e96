"""Shared fixtures: every test runs in its own working directory (sweep files land there)."""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_ROOT = Path(__file__).resolve().parents[1]
_entry_points_dir: str | None = None

# One OpenMP thread for scikit-learn (and OpenBLAS, which reads it too) in this process and every process it
# starts (trial workers, kernels, scripts); set before anything imports them. The tests fit models on a few
# hundred rows, where a team of OpenMP threads costs more than the work: on two busy cores, spinning threads made
# a 5-trial SweepSearchCV fit on iris ~15x slower. And under pytest-xdist two test processes share the two cores
# (scikit-learn's own conftest limits each xdist worker's pools likewise). A test that needs wider pools sets them
# with threadpoolctl (tests/test_engine.py does).
os.environ.setdefault("OMP_NUM_THREADS", "1")


def pytest_configure(config: pytest.Config) -> None:
    """Make this checkout's MLflow entry points visible when the installed hyperwidget lacks them.

    ``pip install`` writes ``pyproject.toml``'s entry points into the package's
    ``.dist-info``, where MLflow looks up the tracking store of the ``hyperwidget:``
    scheme. Tests run on a checkout through ``PYTHONPATH`` (the shared environment
    may hold another checkout's install), so this writes the same entry points into
    a small ``.dist-info`` of their own, on ``sys.path`` and on ``PYTHONPATH`` for the
    trials' processes. It runs before any test imports MLflow, which reads them once.
    """
    global _entry_points_dir
    group = "mlflow.tracking_store"
    if any(ep.name == "hyperwidget" for ep in importlib.metadata.entry_points(group=group)):
        return
    declared = _declared_entry_points(group)
    _entry_points_dir = tempfile.mkdtemp(prefix="hyperwidget-entry-points-")
    info = Path(_entry_points_dir, "hyperwidget_checkout_plugins-0.dist-info")
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hyperwidget-checkout-plugins\nVersion: 0\n")
    lines = [f"[{group}]", *(f"{name} = {target}" for name, target in declared.items())]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    sys.path.insert(0, _entry_points_dir)
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (_entry_points_dir, os.environ.get("PYTHONPATH")) if p)


def _declared_entry_points(group: str) -> dict[str, str]:
    """``name = "module:attr"`` lines of ``pyproject.toml``'s ``[project.entry-points."<group>"]`` table."""
    text = (_ROOT / "pyproject.toml").read_text()
    table = text.split(f'[project.entry-points."{group}"]', 1)[1].split("\n[", 1)[0]
    return dict(re.findall(r'^(\w+) = "([\w.:]+)"$', table, flags=re.MULTILINE))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every browser test is ``serial`` too (scripts/test.sh runs them alone, last), marked or not."""
    for item in items:
        if item.get_closest_marker("browser") is not None or "tests/browser/" in item.nodeid:
            item.add_marker(pytest.mark.serial)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _entry_points_dir is not None:
        shutil.rmtree(_entry_points_dir, ignore_errors=True)


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    os.environ.setdefault("MPLBACKEND", "Agg")
    return tmp_path


@pytest.fixture(scope="session")
def ip():  # type: ignore[no-untyped-def]
    """IPython's test shell, with the extension loaded (one shell per test process, as IPython makes it)."""
    import IPython
    from IPython.testing.globalipapp import start_ipython

    shell = start_ipython() or IPython.get_ipython()  # start_ipython returns None once a shell exists
    shell.run_line_magic("load_ext", "hyperwidget")
    return shell


# ------------------------------------------------------------------ browser tests (tests/browser)
# The fixtures live here, not in a tests/browser/conftest.py: two conftest modules without packages would clash
# by name when the whole suite is collected.
def _lab() -> Any:
    """tests/browser/_lab.py, the browser tests' scaffolding (imported only by the tests that use it)."""
    folder = str(Path(__file__).resolve().parent / "browser")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    import _lab

    return _lab


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A Jupyter server (JupyterLab 4 and Notebook 7) for a module of browser tests."""
    lab = _lab()
    if not Path(lab.CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {lab.CHROMIUM} (apt-get install chromium)")
    srv = lab.Server(tmp_path_factory.mktemp("jupyter"))
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def browser(server: Any) -> Iterator[Any]:
    """One headless Chromium for a module of browser tests (after ``server``: it skips without Chromium)."""
    lab = _lab()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=lab.CHROMIUM, headless=True, args=lab.CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
