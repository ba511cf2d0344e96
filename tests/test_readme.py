"""Every code block of the README runs here, as a new user would copy-paste it, so the README cannot rot.

The fenced blocks are read from ``README.md`` and handled by the section they are in:

- "The two commands" (bash): each command must be one this file knows how to check. The
  virtual-environment step and ``python -m hyperwidget demo`` are run in a temporary folder;
  ``scripts/test.sh`` (the whole suite) is checked, never run from here.
- "In a notebook" (python): the blocks are the cells of a notebook, executed in order by
  nbclient in a fresh kernel (as ``tests/test_notebooks.py`` runs the tutorials).
- "From plain Python" (python): the blocks form a script, run twice in a new process, as a
  user runs it again.
- "Conditional and nested spaces" (python): the block runs in this process (threads backend, no file).
- "Early termination: pausing, promoting, choosing settings" (python): the blocks run in this process, in order,
  after the data and the space of "From plain Python".
- "Architecture" (no language): every file and folder it names exists.

A block anywhere else, or a command this file does not know, fails
:func:`test_every_readme_block_is_covered`: a new block needs a check here.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import shlex
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

import hyperwidget as hw

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"

COMMANDS_SECTION = "The two commands"
NOTEBOOK_SECTION = "In a notebook"
SCRIPT_SECTION = "From plain Python (no Jupyter needed)"
ARCHITECTURE_SECTION = "Architecture"
OBJECTIVES_SECTION = "Several objectives"
CONDITIONAL_SECTION = "Conditional and nested spaces"
PROMOTION_SECTION = "Early termination: pausing, promoting, choosing settings"

#: The (section, fence language) pairs this file runs, with the test that runs them.
HANDLED = {
    (COMMANDS_SECTION, "bash"): "the command tests below",
    (NOTEBOOK_SECTION, "python"): "test_notebook_example_runs_in_a_fresh_kernel",
    (SCRIPT_SECTION, "python"): "test_plain_python_example_runs_and_runs_again",
    (ARCHITECTURE_SECTION, ""): "test_architecture_names_existing_files",
    (OBJECTIVES_SECTION, "python"): "test_several_objectives_example_runs",
    (CONDITIONAL_SECTION, "python"): "test_conditional_space_example_runs",
    (PROMOTION_SECTION, "python"): "test_promotion_and_settings_examples_run",
}

#: The shell commands of the README's bash blocks this file checks, with the test that checks each.
VENV, ACTIVATE = "python3 -m venv .venv", ". .venv/bin/activate"
PIP_INSTALL, DEMO, TEST_SCRIPT = 'pip install -e ".[jupyter]"', "python -m hyperwidget demo", "bash scripts/test.sh"
KNOWN_COMMANDS = {
    VENV: "test_virtual_environment_step_creates_and_activates_it",
    ACTIVATE: "test_virtual_environment_step_creates_and_activates_it",
    PIP_INSTALL: "test_pip_install_line_installs_this_checkout",
    DEMO: "test_demo_command_runs",
    TEST_SCRIPT: "test_test_script_command_is_what_ci_runs",
}


@dataclass(frozen=True)
class Block:
    """A fenced code block of the README."""

    section: str  # the "## " heading it is under
    language: str  # the fence's info string, "" when there is none
    code: str
    line: int  # 1-based line of its opening fence


def readme_blocks(text: str) -> list[Block]:
    """The fenced blocks of a Markdown text, in order, with the section each is in."""
    blocks: list[Block] = []
    section, fence, language, start, body = "", None, "", 0, []
    for number, line in enumerate(text.splitlines(), start=1):
        if fence is None:
            match = re.match(r"^(`{3,}|~{3,})\s*([\w+-]*)", line)
            if match:
                fence, language, start, body = match.group(1), match.group(2), number, []
            elif line.startswith("## "):
                section = line[3:].strip()
        elif line.strip() == fence:
            blocks.append(Block(section, language, "\n".join(body) + "\n", start))
            fence = None
        else:
            body.append(line)
    assert fence is None, f"README.md: the block opened at line {start} is never closed"
    return blocks


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))


def blocks_of(section: str, language: str) -> list[Block]:
    found = [b for b in BLOCKS if (b.section, b.language) == (section, language)]
    assert found, f"README.md has no {language or 'plain'} block under '## {section}' any more; update this test"
    return found


def shell_commands(code: str) -> list[str]:
    """The commands of a bash block: one per line and per ``&&``, comments dropped, spaces normalized."""
    commands = []
    for line in code.splitlines():
        line = line.split(" #", 1)[0] if not line.lstrip().startswith("#") else ""
        commands.extend(" ".join(part.split()) for part in line.split("&&") if part.strip())
    return commands


def readme_commands() -> list[str]:
    return [c for block in blocks_of(COMMANDS_SECTION, "bash") for c in shell_commands(block.code)]


def run_python(args: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ``python args...`` with this interpreter; fail the test with its output when it fails."""
    result = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"python {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


# -- coverage: every block and every command is checked somewhere ----------------------------------------------


def test_every_readme_block_is_covered() -> None:
    unknown = [
        f"line {b.line}: ```{b.language} under '## {b.section}'"
        for b in BLOCKS
        if (b.section, b.language) not in HANDLED
    ]
    assert not unknown, (
        f"README.md blocks that tests/test_readme.py does not run: {unknown}; add them to HANDLED "
        "with a test that runs them"
    )
    commands = readme_commands()
    unknown = [c for c in commands if c not in KNOWN_COMMANDS]
    assert not unknown, (
        f"README.md commands that tests/test_readme.py does not check: {unknown}; add them to "
        "KNOWN_COMMANDS with a test that checks them"
    )


def test_block_reader_finds_sections_languages_and_unknown_blocks() -> None:
    text = "## A\n```bash\nls\n```\n```\ntree\n```\n## B\n~~~python\nx = 1\n~~~\n"
    assert readme_blocks(text) == [
        Block("A", "bash", "ls\n", 2),
        Block("A", "", "tree\n", 5),
        Block("B", "python", "x = 1\n", 9),
    ]
    assert shell_commands("a && b  # c\n# d\n  e   f\n") == ["a", "b", "e f"]


# -- "The two commands" ----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_virtual_environment_step_creates_and_activates_it(tmp_path: Path) -> None:
    """The README's venv commands, run as written, leave python and pip of ./.venv first on the PATH."""
    commands = readme_commands()
    assert VENV in commands and ACTIVATE in commands, "README.md no longer shows the virtual-environment step"
    assert commands.index(ACTIVATE) == commands.index(VENV) + 1
    assert commands.index(PIP_INSTALL) > commands.index(ACTIVATE), "pip install must come after the activation"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONHOME")}
    script = f"{VENV} && {ACTIVATE} && command -v pip && python -c 'import sys; print(sys.prefix)'"
    result = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    pip, prefix = result.stdout.split()
    venv = (tmp_path / ".venv").resolve()
    assert Path(prefix).resolve() == venv
    assert Path(pip).resolve().parent == venv / "bin"


def test_pip_install_line_installs_this_checkout() -> None:
    """``pip install -e ".[jupyter]"`` in the repository installs hyperwidget from this checkout (as the tests use
    it) with JupyterLab, which the core dependencies leave out so that a script-only install stays light."""
    assert PIP_INSTALL in readme_commands()
    pyproject = (REPO / "pyproject.toml").read_text()
    assert re.search(r'(?m)^\[project\]\nname = "hyperwidget"$', pyproject)
    extra = re.search(r"\[(\w+)\]", PIP_INSTALL).group(1)  # type: ignore[union-attr]
    (line,) = [line for line in pyproject.splitlines() if line.startswith(f"{extra} = [")]
    assert '"jupyterlab' in line and '"ipykernel' in line
    core = pyproject.split("dependencies = [", 1)[1].split("]", 1)[0]
    assert '"jupyterlab' not in core and '"notebook' not in core
    assert Path(hw.__file__).resolve().is_relative_to(REPO / "hyperwidget")


@pytest.mark.slow
def test_demo_command_runs(tmp_path: Path) -> None:
    assert DEMO in readme_commands()
    program, *args = shlex.split(DEMO)
    assert program == "python"
    result = run_python(args, tmp_path, timeout=240)
    assert "Completed" in result.stdout
    stored = hw.load_sweep(storage=tmp_path / "hyperwidget.db")  # the README says it stores the sweep there
    assert stored.trials and all(t.status.is_finished for t in stored.trials)


def test_test_script_command_is_what_ci_runs() -> None:
    """``bash scripts/test.sh``: the script exists, parses, and is what CI runs (never run here: it runs us)."""
    assert TEST_SCRIPT in readme_commands()
    script = REPO / shlex.split(TEST_SCRIPT)[1]
    assert script.is_file()
    subprocess.run(["bash", "-n", str(script)], check=True, timeout=30)
    assert TEST_SCRIPT in (REPO / ".ci" / "run").read_text()


# -- "In a notebook" -------------------------------------------------------------------------------------------


def _load_notebook_runner():  # type: ignore[no-untyped-def]
    """``notebooks/execute.py``: how the tutorial notebooks are executed (nbclient, kernel python3)."""
    spec = importlib.util.spec_from_file_location("notebooks_execute", REPO / "notebooks" / "execute.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.notebooks
@pytest.mark.slow
def test_notebook_example_runs_in_a_fresh_kernel(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("nbclient")
    runner = _load_notebook_runner()
    cells = [block.code.rstrip("\n") for block in blocks_of(NOTEBOOK_SECTION, "python")]
    path = tmp_path / "readme.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), path)
    notebook = runner.execute(path, tmp_path, timeout=240)
    assert runner.error_outputs(notebook) == []
    sweep_cells = [i for i, c in enumerate(cells) if c.startswith("%%sweep")]
    assert sweep_cells, "the README's notebook example has no %%sweep cell"
    out = re.search(r"-o (\w+)", cells[sweep_cells[0]])
    assert out, "the README's %%sweep cell binds no result (-o NAME)"
    after = notebook.cells[sweep_cells[0] + 1 :]
    assert after and all(out.group(1) in c.source for c in after), "the cells after the sweep use its result"
    outputs = [o for c in after for o in c.get("outputs", [])]
    figures = sum(c.source.count("plots.plot_") for c in after)
    assert figures >= 1
    assert sum("image/png" in o.get("data", {}) for o in outputs) == figures, "every plots call shows its figure"
    texts = [o.get("data", {}).get("text/plain", "") for o in outputs]
    best = [ast.literal_eval(t) for t in texts if t.startswith("{")]
    assert best and set(best[0]) == {"alpha", "eta0", "loss"}, f"no best hyperparameters shown: {texts}"
    assert any("run_id" in o.get("data", {}).get("text/html", "") for o in outputs), "no DataFrame shown"
    stored = hw.load_sweep(storage=tmp_path / "hyperwidget.db")
    total = int(re.search(r"--max-total-runs (\d+)", cells[sweep_cells[0]]).group(1))  # type: ignore[union-attr]
    assert stored.status == "Completed" and len(stored.trials) == total


# -- "From plain Python" ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_plain_python_example_runs_and_runs_again(tmp_path: Path) -> None:
    """The script runs; run again in the same folder (its sweep now stored), it runs again and repeats nothing."""
    script = tmp_path / "example.py"
    script.write_text("".join(block.code for block in blocks_of(SCRIPT_SECTION, "python")))
    code = script.read_text()
    name = re.search(r'name="([^"]+)"', code).group(1)  # type: ignore[union-attr]
    storage = tmp_path / re.search(r'storage="([^"]+)"', code).group(1)  # type: ignore[union-attr]

    def run_it() -> dict[str, float]:
        lines = run_python([script.name], tmp_path, timeout=240).stdout.strip().splitlines()
        best = ast.literal_eval(lines[-1])  # print(best.get_hyperparameters())
        assert set(best) == {"alpha", "eta0"}
        # the model the best trial saved in its output_dir, loaded back: it scores what the trial logged
        assert re.fullmatch(rf"{name}_\d+: validation accuracy 0\.\d{{3}}", lines[-2]), lines[-2]
        assert (tmp_path / "best_model.joblib").is_file()
        return best

    run_it()
    first = hw.load_sweep(name, storage)
    run_it()  # the sweep's name is now taken in the file
    again = hw.load_sweep(name, storage)
    assert again.status == "Completed" and len(again.trials) == len(first.trials)
    assert [(t.id, t.ended_at) for t in again.trials] == [(t.id, t.ended_at) for t in first.trials]  # none rerun


def test_several_objectives_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """The multi-objective example runs as a user would paste it after ``import hyperwidget as hw``."""
    (block,) = blocks_of(OBJECTIVES_SECTION, "python")
    scope: dict[str, object] = {"hw": hw}
    exec(compile(block.code, "README.md", "exec"), scope)
    printed = capsys.readouterr().out.splitlines()
    assert printed[-1].startswith("hypervolume ") and len(printed) > 2  # the front's children, then the volume
    frame = scope["frame"]
    assert frame["pareto"].sum() == len(printed) - 1  # type: ignore[attr-defined]


# -- "Conditional and nested spaces" ---------------------------------------------------------------------------


def test_conditional_space_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    (block,) = blocks_of(CONDITIONAL_SECTION, "python")
    namespace: dict[str, object] = {}
    exec(compile(block.code, "README.md", "exec"), namespace)  # the README's own example
    best, table = capsys.readouterr().out.split("\n", 1)
    model = ast.literal_eval(best)["model"]
    assert set(model) == ({"kernel", "gamma", "C"} if model["kernel"] == "rbf" else {"kernel", "C"})
    frame = namespace["run"].to_dataframe()  # type: ignore[attr-defined]
    assert set(frame["model.kernel"]) == {"rbf", "linear"}
    assert frame.loc[frame["model.kernel"] == "linear", "model.gamma"].isna().all() and "NaN" in table


# -- "Early termination: pausing, promoting, choosing settings" ------------------------------------------------

#: What the section's blocks take from "From plain Python": its imports, data and space.
PLAIN_PYTHON_SETUP = """
import numpy as np
import hyperwidget as hw
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split

X, y = load_digits(return_X_y=True)
X_train, X_val, y_train, y_val = train_test_split(X / 16, y, random_state=0)
space = {"alpha": hw.log_uniform(1e-6, 1e-1), "eta0": hw.loguniform(-9, 0)}
"""


def test_promotion_and_settings_examples_run(capsys: pytest.CaptureFixture[str]) -> None:
    """The promotion example pauses and resumes trials from their checkpoints; the replay suggests a policy."""
    from hyperwidget.policies import EarlyTerminationPolicy
    from hyperwidget.trial import TrialStatus

    setup = "".join(b.code for b in blocks_of(SCRIPT_SECTION, "python"))
    assert "X_train, X_val, y_train, y_val = train_test_split(X / 16, y, random_state=0)" in setup
    assert 'space = {"alpha": hw.log_uniform(1e-6, 1e-1), "eta0": hw.loguniform(-9, 0)}' in setup
    scope: dict[str, object] = {}
    exec(compile(PLAIN_PYTHON_SETUP, "setup", "exec"), scope)
    promotion, settings = blocks_of(PROMOTION_SECTION, "python")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(compile(promotion.code, "README.md", "exec"), scope)
    assert not [w for w in caught if "saved no checkpoint" in str(w.message)]  # every promoted trial had one
    run = scope["run"]
    trials = run.trials  # type: ignore[attr-defined]
    epochs = [len(t.series("accuracy")) for t in trials]
    # As the README says: 27 configurations in a fraction of the 729 epochs of full training, each trial ending at a
    # rung (1, 3, 9) or at 27, every value logged once (promoted trials resumed from their checkpoints).
    assert len(trials) == 27 and set(epochs) <= {1, 3, 9, 27} and 27 in epochs and sum(epochs) < 729 / 3
    assert all(t.status in (TrialStatus.COMPLETED, TrialStatus.STOPPED_EARLY) for t in trials)
    exec(compile(settings.code, "README.md", "exec"), scope)
    table = capsys.readouterr().out
    assert "compute_saved_fraction" in table and "True" in table  # the top rows keep the best result
    assert isinstance(scope["policy"], EarlyTerminationPolicy)


# -- "Architecture" --------------------------------------------------------------------------------------------


def test_architecture_names_existing_files() -> None:
    (block,) = blocks_of(ARCHITECTURE_SECTION, "")
    root, missing, named = REPO, [], 0
    for line in block.code.splitlines():
        if not line.strip():
            continue
        names = re.split(r"\s{2,}", line.strip())[0]
        base = root if line.startswith(" ") else REPO
        for entry in names.split(", "):
            named += 1
            if not (base / entry).exists():
                missing.append(str((base / entry).relative_to(REPO)))
        if not line.startswith(" "):
            root = REPO / names
    assert named > 10 and not missing, f"README.md's architecture names missing files: {missing}"
