"""Let widget messages reach the kernel while a cell is busy.

ipykernel handles front-end messages (button clicks) on the main thread, only
between cells (ipykernel#65, ipywidgets#3468). Two ways around it, tried in
this order by :func:`deliver_widget_messages`:

1. **Subshells** (ipykernel >= 7, JEP 91). A subshell is a second shell with
   its own thread. ipykernel routes each comm message through the comm's
   ``_reply_subshell_for(data, default)``; pointing our widget's comm at a
   subshell makes its messages run on that thread while the main thread waits
   in the cell. This uses ipykernel internals (``_create_subshell``,
   ``_reply_subshell_for``), so every step is guarded and any failure falls
   through to the next way.
2. **Polling** the kernel's queue from the waiting cell with
   ``jupyter_ui_poll.ui_events`` (ipykernel < 7, which has
   ``do_one_iteration``).

Without either, the sweep still runs and its monitor still updates; the stop
buttons then act after the cell ends, and interrupting the kernel cancels the
sweep.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

logger = logging.getLogger(__name__)

#: One subshell per kernel, created on first use and kept (its thread idles).
_SUBSHELLS: dict[int, str] = {}
_LOCK = threading.Lock()


def current_kernel() -> Any:
    """The running ipykernel, or None outside a kernel."""
    from IPython import get_ipython

    return getattr(get_ipython(), "kernel", None)


def subshell_id(kernel: Any, timeout: float = 5.0) -> str | None:
    """The id of this module's subshell of ``kernel`` (created once), or None
    when the kernel has no subshells or creating one failed."""
    if not getattr(kernel, "_supports_kernel_subshells", False):
        return None
    with _LOCK:
        if id(kernel) in _SUBSHELLS:
            return _SUBSHELLS[id(kernel)]
        try:
            thread = kernel.shell_channel_thread
            manager = thread.manager
        except Exception:  # internals changed: fall back
            logger.debug("hyperwidget: no subshell manager", exc_info=True)
            return None
        created: dict[str, Any] = {}
        done = threading.Event()

        def create() -> None:  # must run on the shell-channel thread
            try:
                created["id"] = manager._create_subshell()
            except Exception as error:  # noqa: BLE001 - ipykernel internals: any failure means no subshell
                created["error"] = error
            finally:
                done.set()

        thread.io_loop.add_callback(create)
        if not done.wait(timeout) or "id" not in created:
            logger.debug("hyperwidget: creating a subshell failed: %r", created.get("error"))
            return None
        _SUBSHELLS[id(kernel)] = created["id"]
        return created["id"]


def route_to_subshell(widget: Any) -> bool:
    """Route the front-end messages of ``widget`` to a subshell thread.

    Returns True when they will be handled while the main thread is busy.
    """
    kernel = current_kernel()
    comm = getattr(widget, "comm", None)
    if kernel is None or comm is None or not hasattr(comm, "_reply_subshell_for"):
        return False
    sid = subshell_id(kernel)
    if sid is None:
        return False
    comm._reply_subshell_for = lambda _data, _default: sid
    return True


def can_poll() -> bool:
    """True when ``jupyter_ui_poll`` can process messages in this kernel."""
    kernel = current_kernel()
    if kernel is None or not hasattr(kernel, "do_one_iteration"):
        return False
    try:
        import jupyter_ui_poll  # noqa: F401
    except ImportError:
        return False
    return True
