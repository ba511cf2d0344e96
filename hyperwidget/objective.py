"""What a trial runs: a Python function, or a training script as a child-run command."""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import json
import math
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from hyperwidget.context import ENV_ACK_FD, ENV_OUTPUT_DIR, ENV_PARAMS, ENV_REPORT_FD, ENV_TRIAL_ID
from hyperwidget.errors import SweepConfigError
from hyperwidget.names import flag_name, flat_params, kwarg_name
from hyperwidget.tracking import script_environment

if TYPE_CHECKING:
    from hyperwidget.context import Run

#: Seconds a stopped script gets to reach its next ``log`` call, then to end after ``SIGTERM``.
STOP_GRACE_SECONDS = 5.0
TERM_GRACE_SECONDS = 3.0

#: The reaper of a script trial: waits for its stdin to close (the trial ended, or its worker process died,
#: however it died) and then kills whatever is left of the child's process group. Plain ``python -S``.
_REAPER = """
import os, signal, sys
sys.stdin.buffer.read()
try:
    os.killpg(int(sys.argv[1]), signal.SIGKILL)
except OSError:
    pass
"""


def start_reaper(group: int) -> subprocess.Popen[bytes]:
    """A process that kills process group ``group`` once the returned process's stdin is closed.

    The worker holds the only write end of that pipe (close-on-exec, so no child
    inherits it): it closes it when the trial ends, and the system closes it when
    the worker dies, even by ``SIGKILL`` or ``os._exit`` (a Dask worker whose
    nanny is gone does the latter). Either way nothing the script started
    outlives its trial.
    """
    return subprocess.Popen(
        [sys.executable, "-S", "-c", _REAPER, str(group)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop_reaper(reaper: subprocess.Popen[bytes]) -> None:
    """Close the reaper's stdin: it kills what is left of its group and exits."""
    with contextlib.suppress(OSError):
        if reaper.stdin is not None:
            reaper.stdin.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        reaper.wait(timeout=5)


def normalize_returned(value: Any, metric: str) -> dict[str, float]:
    """A function's return value as metrics: a number is the primary metric, a dict names its metrics."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(k): _to_float(k, v) for k, v in value.items()}
    if isinstance(value, (bool, str, bytes)) or not _is_number_like(value):
        raise TypeError(
            f"the objective returned {type(value).__name__} {value!r:.80}; return a number (the value of "
            f"{metric!r}), a dict of metric values, or None and log with log(name, value)."
        )
    return {metric: float(value)}


def stop_status(reason: str) -> str:
    """The status of a trial stopped for ``reason``: ``Canceled`` for a cancellation, else ``StoppedEarly``."""
    return "Canceled" if reason.startswith("canceled") else "StoppedEarly"


def _is_number_like(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _to_float(name: Any, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"the objective returned {name!r}: {value!r}, which is not a number.") from None


@dataclasses.dataclass(frozen=True)
class FunctionObjective:
    """A Python function called with the sampled hyperparameters.

    It receives them as keyword arguments (leading dashes stripped, so
    ``'--batch_size'`` arrives as ``batch_size``), or as one dict when it takes a
    single parameter that names no hyperparameter (Syne Tune's ``objective(config)``).
    """

    function: Callable[..., Any]
    as_dict: bool = False
    #: The sweep ends a function trial that will not stop (its backend says how).
    supervises_itself: ClassVar[bool] = False

    @classmethod
    def wrap(cls, function: Callable[..., Any], names: Sequence[str]) -> FunctionObjective:
        """Check ``function`` against the hyperparameter ``names`` and wrap it."""
        try:
            signature = inspect.signature(function)
        except (TypeError, ValueError):
            return cls(function)
        params = signature.parameters
        keywords = {kwarg_name(n) for n in names}
        if any(p.kind is p.VAR_KEYWORD for p in params.values()) or keywords <= set(params):
            return cls(function)
        positional = [p for p in params.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if len(positional) == 1 and positional[0].name not in keywords:
            return cls(function, as_dict=True)
        missing = sorted(keywords - set(params))
        raise SweepConfigError(
            f"objective {getattr(function, '__name__', function)}{signature} has no parameter for "
            f"hyperparameter(s) {missing}; add them to its signature, or accept **params."
        )

    def __call__(self, params: Mapping[str, Any]) -> Any:
        if self.as_dict:
            return self.function(dict(params))
        return self.function(**{kwarg_name(k): v for k, v in params.items()})

    @property
    def label(self) -> str:
        """A short description for logs and stored configurations."""
        return f"function {getattr(self.function, '__qualname__', repr(self.function))}"


@dataclasses.dataclass(frozen=True)
class Script:
    """A training script run as a child-run command: ``python train.py <arguments> --name value ...``.

    A value that starts with a dash and is not a number (``-h``, ``--v=x``) is passed
    as ``--name=value``, so argparse does not take it for an option.

    Nested hyperparameters (groups and choices of branches) are passed flat, their
    keys joined with ``"."``: ``--model.kernel rbf --model.gamma 0.01``; the
    parameters of a branch not taken are not passed at all (give them defaults in
    the script's ``argparse``, whose ``dest`` keeps the dot: read them with
    ``getattr(args, "model.gamma")`` or ``vars(args)["model.gamma"]``).

    Parameters
    ----------
    script : str
        Path of the script, relative to ``source_directory``.
    arguments : sequence
        Fixed arguments placed before the hyperparameters.
    source_directory : str
        The folder holding the script and its files. Each child run gets its own
        working folder whose entries link to this folder's (HyperDrive's snapshot),
        so files the script writes, such as ``outputs/model.pkl``, stay per run.
    python : str
        The interpreter (default: the one running the sweep).
    environment : mapping, optional
        Extra environment variables.
    template : str, optional
        A whole command line with ``${{inputs.name}}`` placeholders (Azure ML v2's
        command jobs); ``inputs`` gives the fixed values. Build it with
        :meth:`from_command`.
    """

    script: str
    arguments: tuple[Any, ...] = ()
    source_directory: str = "."
    python: str = sys.executable
    environment: Mapping[str, str] | None = None
    template: str | None = None
    inputs: Mapping[str, Any] | None = None
    #: A script's trial ends its own child process when stopped or past its timeout (:meth:`run_child`).
    supervises_itself: ClassVar[bool] = True

    @classmethod
    def from_command(
        cls,
        command: str,
        source_directory: str = ".",
        inputs: Mapping[str, Any] | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> Script:
        """A child run given as a command line, e.g. ``"python train.py --lr ${{inputs.lr}}"``."""
        scripts = [t for t in shlex.split(command) if t.endswith(".py")]
        if not scripts:
            raise SweepConfigError(
                f"command: {command!r} names no .py script; write e.g. 'python train.py --lr ${{{{inputs.lr}}}}'."
            )
        return cls(
            scripts[0],
            source_directory=source_directory,
            environment=environment,
            template=command,
            inputs=dict(inputs or {}),
        )

    def check_names(self, names: Sequence[str]) -> None:
        """With a template, every hyperparameter must appear as ``${{inputs.<name>}}``."""
        if self.template is None:
            return
        used = set(_PLACEHOLDER.findall(self.template))
        missing = [n for n in names if n not in used]
        if missing:
            raise SweepConfigError(
                f"command: hyperparameter(s) {missing} do not appear in {self.template!r}; "
                f"add e.g. --{missing[0]} ${{{{inputs.{missing[0]}}}}} to the command."
            )

    def __post_init__(self) -> None:
        object.__setattr__(self, "arguments", tuple(self.arguments))
        object.__setattr__(self, "source_directory", str(Path(self.source_directory).resolve()))
        if not self.path.is_file():
            raise SweepConfigError(
                f"Script: {self.script!r} does not exist in source_directory {self.source_directory!r}; "
                "check the file name, or set source_directory to the folder that holds it."
            )

    @property
    def path(self) -> Path:
        """Absolute path of the script."""
        return Path(self.source_directory, self.script)

    def command(self, params: Mapping[str, Any]) -> list[str]:
        """The child run's command line for ``params``."""
        if self.template is not None:
            return self._from_template(params)
        command = [self.python, str(self.path), *(str(a) for a in self.arguments)]
        for name, value in flat_params(params).items():
            text = _format_arg(value)
            # argparse reads a separate "-h" or "--v=x" as an option: glue such a value to its flag
            command += (
                [f"{flag_name(name)}={text}"]
                if text.startswith("-") and not _is_number_like(text)
                else [flag_name(name), text]
            )
        return command

    def _from_template(self, params: Mapping[str, Any]) -> list[str]:
        values = {**(self.inputs or {}), **params}

        def fill(match: re.Match[str]) -> str:
            if match[1] not in values:
                raise KeyError(f"the command uses ${{{{inputs.{match[1]}}}}}, but no input {match[1]!r} is given")
            return shlex.quote(_format_arg(values[match[1]]))

        tokens = shlex.split(_PLACEHOLDER.sub(fill, self.template or ""))
        if tokens and tokens[0] in ("python", "python3"):
            tokens[0] = self.python  # the interpreter running the sweep, where hyperwidget is installed
        return tokens

    def prepare_workdir(self, workdir: Path) -> None:
        """Create ``workdir`` with links to every entry of the source directory."""
        workdir.mkdir(parents=True, exist_ok=True)
        for entry in Path(self.source_directory).iterdir():
            link = workdir / entry.name
            if entry.name in ("outputs", "logs", "hyperwidget_runs") or entry.suffix in (".db", ".db-wal", ".db-shm"):
                continue
            if not link.exists() and not link.is_symlink():
                os.symlink(entry, link)

    @property
    def label(self) -> str:
        """A short description for logs and stored configurations."""
        return f"script {self.path}"

    def run_child(
        self, params: Mapping[str, Any], run: Run, *, workdir: Path, timeout: float | None
    ) -> tuple[str, str | None]:
        """Run one child process in ``workdir`` and supervise it to its end; returns ``(status, error)``.

        The child reports through a pipe (``log`` in the script) that is relayed to
        ``run``; a stop asked by the sweep reaches it at its next ``log`` call, and
        a child that does not get there within ``STOP_GRACE_SECONDS`` is ended, as
        is one past ``timeout``. Its output goes to ``workdir/std_log.txt``. Its
        plain ``mlflow.log_metric`` calls report to ``run`` too, and its
        ``mlflow.log_artifact`` files go to ``workdir/outputs``
        (:func:`hyperwidget.tracking.script_environment`).
        """
        self.prepare_workdir(workdir)
        report_r, report_w = os.pipe()
        ack_r, ack_w = os.pipe()
        env = {
            **os.environ,
            **(self.environment or {}),
            **script_environment(workdir / "outputs", self.environment or {}),
            ENV_TRIAL_ID: run.id,
            ENV_REPORT_FD: str(report_w),
            ENV_ACK_FD: str(ack_r),
            ENV_PARAMS: json.dumps(dict(params)),
            ENV_OUTPUT_DIR: str(workdir.resolve() / "outputs"),
        }
        with open(workdir / "std_log.txt", "wb") as log_file:
            process = subprocess.Popen(
                self.command(params),
                cwd=workdir,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                pass_fds=(report_w, ack_r),
                start_new_session=True,
            )
        os.close(report_w)
        os.close(ack_r)
        relay = threading.Thread(target=_relay, args=(report_r, ack_w, run), daemon=True)
        relay.start()
        reaper = start_reaper(process.pid)  # its own session: the group id is its pid
        try:
            status, error = _supervise(process, run, timeout)
        finally:
            stop_reaper(reaper)
        relay.join(timeout=5)
        if status == "Completed" and process.returncode != 0:
            tail = (workdir / "std_log.txt").read_text(errors="replace")[-4000:]
            status = "Crashed" if process.returncode < 0 else "Failed"
            error = f"{self.path.name} exited with code {process.returncode}:\n{tail}"
        return status, error


_PLACEHOLDER = re.compile(r"\$\{\{\s*inputs\.([A-Za-z_][\w]*)\s*\}\}")


def _relay(report_r: int, ack_w: int, run: Run) -> None:
    """Forward the child's reports to the sweep and the sweep's answers back."""
    with os.fdopen(report_r, "r") as reports, os.fdopen(ack_w, "w", buffering=1) as acks:
        for line in reports:
            message = json.loads(line)
            reason = run.forward(message["name"], message["value"], message.get("step"))
            try:
                acks.write(json.dumps({"stop": reason}) + "\n")
            except BrokenPipeError:
                return


def _supervise(process: subprocess.Popen[bytes], run: Run, timeout: float | None) -> tuple[str, str | None]:
    """Wait for the child, ending it when it is stopped, canceled or past its timeout."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while not _wait(process, 0.25):
        reason = run.pending_stop()
        if deadline is not None and time.monotonic() > deadline:
            _terminate(process)
            return "TimedOut", f"stopped after trial_timeout={timeout} s"
        if reason and not _wait(process, STOP_GRACE_SECONDS):  # give it until its next log call, then end it
            _terminate(process)
    reason = run.stop_reason
    if reason and process.returncode != 0:
        return stop_status(reason), reason
    return "Completed", None  # exit code 0: the script ran to its end by itself, so a late stop saved nothing


def _wait(process: subprocess.Popen[bytes], seconds: float) -> bool:
    try:
        process.wait(timeout=seconds)
        return True
    except subprocess.TimeoutExpired:
        return False


def _terminate(process: subprocess.Popen[bytes]) -> None:
    """``SIGTERM`` the child's process group, then ``SIGKILL`` it if it is still there after a grace period."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        if not _wait(process, TERM_GRACE_SECONDS):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    except ProcessLookupError:
        pass


def _format_arg(value: Any) -> str:
    if isinstance(value, float) and math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return repr(value)
    return str(value)
