"""Shared scaffolding of the browser tests: a Jupyter server (JupyterLab 4 and
Notebook 7) and one notebook page in headless Chromium, with JS errors and
dialogs recorded. The fixtures ``server`` and ``browser`` are in ``conftest.py``.
Recipe and pitfalls: /work/shared/browser-testing.md.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import nbformat

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("HYPERWIDGET_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
]
XSS = "<img src=x onerror=alert(1)>"
#: Page errors that are not ours: Notebook 7.6.5 logs the first on every page
#: load; the second when it opens on a server where JupyterLab pages saved
#: their workspace (it does not happen when the Notebook 7 test runs alone).
HARMLESS = ("reading 'schema'",)
HARMLESS_NOTEBOOK7 = ("Command 'filebrowser:open-path' not registered",)

SETUP = """\
import time
from hyperwidget import start_sweep, uniform, choice, log
from hyperwidget.notebook import run_with_monitor
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _write_settings(settings: Path, extra: dict[str, dict[str, Any]] | None = None) -> None:
    files: dict[str, dict[str, Any]] = {
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
            "windowingMode": "none",
            "autoStartDefaultKernel": True,
        },
        "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    }
    files.update(extra or {})
    for name, value in files.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))


class Server:
    """A Jupyter server (JupyterLab + Notebook 7) on a free local port."""

    def __init__(self, tmp: Path, settings: dict[str, dict[str, Any]] | None = None) -> None:
        """Start it; ``settings`` adds JupyterLab settings files (name -> content), e.g. to save widget state."""
        self.root = tmp / "root"
        self.root.mkdir()
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        env = dict(os.environ)
        for var in (
            "JUPYTER_CONFIG_DIR",
            "JUPYTER_DATA_DIR",
            "JUPYTER_RUNTIME_DIR",
            "JUPYTERLAB_SETTINGS_DIR",
            "JUPYTERLAB_WORKSPACES_DIR",
            "IPYTHONDIR",
        ):
            (tmp / var.lower()).mkdir()
            env[var] = str(tmp / var.lower())
        _write_settings(tmp / "jupyterlab_settings_dir", settings)
        env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        self.log = open(tmp / "server.log", "w")  # noqa: SIM115 - open as long as the server runs; closed in stop()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyterlab",
                "--no-browser",
                "--allow-root",
                "--ip=127.0.0.1",
                f"--port={self.port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}",
                f"--ServerApp.root_dir={self.root}",
                "--LabApp.expose_app_in_browser=True",
                "--JupyterNotebookApp.expose_app_in_browser=True",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready()

    def _request(self, path: str, method: str = "GET") -> int:
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            return int(resp.status)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter server exited early; see {self.log.name}")
            try:
                if self._request("/api/status") == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("jupyter server did not start within 60 s")

    def url(self, kind: str, name: str) -> str:
        reset = "&reset" if kind.startswith("lab") else ""  # Notebook 7 has no workspaces to reset
        return f"http://127.0.0.1:{self.port}/{kind}/{name}?token={self.token}{reset}"

    def stop(self) -> None:
        try:
            self._request("/api/shutdown", method="POST")
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.log.close()


class Page:
    """One notebook page, with JS errors and dialogs recorded."""

    def __init__(
        self,
        browser: Any,
        server: Server,
        name: str,
        cells: list[str] | None,
        kind: str = "lab/tree",
        wait_kernel: bool = True,
    ) -> None:
        if cells is not None:
            nb = nbformat.v4.new_notebook()
            nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
            nb.metadata["kernelspec"] = {
                "name": "python3",
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
            }
            nbformat.write(nb, server.root / name)
        self.server = server
        self.harmless = HARMLESS + (HARMLESS_NOTEBOOK7 if kind == "notebooks" else ())
        self.name = name
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        self.page.on("dialog", self._on_dialog)
        self.page.goto(server.url(kind, name))
        self.page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        if wait_kernel:
            self.wait_kernel()

    def wait_kernel(self) -> None:
        self.page.wait_for_function(
            "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
            " const s = w && w.sessionContext; return !!(s && s.isReady && s.session && s.session.kernel"
            " && s.session.kernel.status === 'idle'); }",
            timeout=60_000,
        )

    def _on_dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def run_all(self) -> None:
        """Run all cells without waiting for them (pitfall 5: no returned promise)."""
        self.page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        self.page.wait_for_function(
            "() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
            ".some(p => p.textContent.includes('*'))",
            timeout=30_000,
        )

    def wait_done(self, timeout: float = 90) -> None:
        """Every code cell has an execution count and none is running."""
        self.page.wait_for_function(
            "() => { const ps = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];"
            " return ps.length > 0 && ps.every(p => /\\[\\d+\\]/.test(p.textContent)); }",
            timeout=timeout * 1000,
        )

    def running(self) -> bool:
        return bool(
            self.page.evaluate(
                "() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
                ".some(p => p.textContent.includes('*'))"
            )
        )

    def rows(self) -> int:
        """Rows shown by the first monitor of the page."""
        return int(
            self.page.evaluate(
                "() => { const m = document.querySelector('.hw-monitor');"
                " return m ? m.querySelectorAll('.hw-table tbody tr').length : 0; }"
            )
        )

    def outputs_text(self) -> str:
        return str(
            self.page.evaluate(
                "() => [...document.querySelectorAll('.jp-OutputArea-output')].map(o => o.innerText).join('\\n')"
            )
        )

    def cell_errors(self) -> list[str]:
        return list(
            self.page.evaluate(
                "() => [...document.querySelectorAll("
                "'.jp-OutputArea-output[data-mime-type=\"application/vnd.jupyter.stderr\"]')]"
                ".map(o => o.innerText).filter(t => /Traceback|Error/.test(t))"
            )
        )

    def screenshot(self, name: str, monitor_index: int = 0) -> None:
        """Save a screenshot with the given monitor scrolled into view (pitfall 17)."""
        ARTIFACTS.mkdir(exist_ok=True)
        monitor = self.page.locator(".hw-monitor").nth(monitor_index)
        if monitor.count():
            monitor.scroll_into_view_if_needed()
        self.page.screenshot(path=str(ARTIFACTS / f"monitor-{name}.png"))

    def check_clean(self) -> None:
        errors = [e for e in self.errors if not any(h in e for h in self.harmless)]
        assert not errors, f"JavaScript errors on the page: {errors}"
        assert not self.dialogs, f"a dialog opened (escaping failed?): {self.dialogs}"
        assert not self.cell_errors(), self.cell_errors()

    def close(self) -> None:
        self.page.evaluate("() => window.jupyterapp.commands.execute('kernelmenu:shutdown')")
        self.context.close()


def sample_rows_while_running(page: Page, seconds: float, shot: str | None = None) -> list[tuple[int, bool]]:
    """(row count, cell still running) every 50 ms; one screenshot mid-run."""
    samples = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        samples.append((page.rows(), page.running()))
        if not samples[-1][1]:
            break
        if shot and samples[-1][0] >= 4:
            page.screenshot(shot)
            shot = None
        time.sleep(0.05)
    return samples


# ---------------------------------------------- timing a 10,000-trial monitor
HUGE_SWEEP = """\
huge = run_with_monitor(lambda obs: start_sweep(
    lambda lr, kernel: lr, {"lr": uniform(0, 1), "kernel": choice("rbf", "linear", "poly")}, metric="accuracy",
    max_total_runs=10000, backend="sequential", storage=None, seed=5, observers=obs))
print("HUGE", huge.status, len(huge.trials))
"""

#: Milliseconds from an action (`act`, JS run with the monitor `m`) to the
#: animation frame that shows its result (`done`, checked every frame).
TIME_ACTION = """async ([act, done]) => {
  const m = document.querySelector('.hw-monitor');
  const t0 = performance.now();
  await new Function('m', act)(m);
  const check = new Function('m', 'return ' + done);
  while (!check(m)) await new Promise(requestAnimationFrame);
  await new Promise(requestAnimationFrame);
  return performance.now() - t0;
}"""


def median(values: list[float]) -> float:
    """The middle value (the upper one of an even count)."""
    return sorted(values)[len(values) // 2]
