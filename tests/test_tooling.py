"""The lint, format and type checks that CI enforces, run as tests.

``ruff check`` (the rule set in pyproject.toml), ``ruff format --check`` and ``mypy`` (the
package, with the settings of ``[tool.mypy]``) must pass on the whole tree. Each test runs the
tool from the repository root with this interpreter, so the pinned versions of the ``test``
extra are the ones used, and fails with the tool's report.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    module = args[0]
    if importlib.util.find_spec(module) is None:
        pytest.fail(f"{module} is not installed; install the test extra: pip install -e '.[test]'.")
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )


def _check(result: subprocess.CompletedProcess[str], fix: str) -> None:
    if result.returncode != 0:
        pytest.fail(f"{' '.join(result.args[2:])} failed ({fix}):\n{result.stdout}{result.stderr}", pytrace=False)


def test_ruff_check_passes() -> None:
    result = _run("ruff", "check", "--no-cache", "--output-format", "concise", ".", timeout=120)
    _check(result, "`ruff check --fix .` fixes the safe ones; see pyproject.toml's [tool.ruff.lint]")


def test_ruff_format_is_applied() -> None:
    result = _run("ruff", "format", "--no-cache", "--check", "--diff", ".", timeout=120)
    _check(result, "run `ruff format .`")


@pytest.mark.xdist_group("mypy")  # with tests/test_init.py's mypy run, in one worker: they share the cache
def test_mypy_passes() -> None:
    # The incremental cache lives in .mypy_cache (gitignored): a rerun takes seconds, a cold one under a minute.
    result = _run("mypy", "--no-color-output", "--no-error-summary", timeout=300)
    _check(result, "see pyproject.toml's [tool.mypy]")
