"""Raising an exception in a running trial's thread: the one place hyperwidget does it.

A trial run in a thread of this process (the threads backend, or a function
trial's own timeout outside the main thread) cannot be killed; it is ended by an
asynchronous exception, which CPython delivers at the thread's next bytecode
(``PyThreadState_SetAsyncExc``). An exception aimed at a thread is dangerous once
the trial has ended: the thread then runs joblib's code, or the next trial. So a
trial declares the span in which it may be interrupted with :func:`interruptible`,
and :func:`interrupt` raises only inside such a span, under a lock the span takes
on leaving, where it also clears an exception not yet delivered. An interruption
therefore lands in its own trial or nowhere.

The exception is given as a class that takes no argument (CPython instantiates
it in the target thread): e.g. :class:`~hyperwidget.errors.TrialInterrupted`,
not ``TrialStopped``, whose ``reason`` is required.
"""

from __future__ import annotations

import ctypes
import threading

_LOCK = threading.Lock()
_RUNNING: dict[str, int] = {}  # trial id -> ident of the thread running it, inside interruptible()


def _set_async_exc(ident: int, exc_type: type[BaseException] | None) -> None:
    """Schedule ``exc_type`` in thread ``ident``; ``None`` clears one not yet delivered."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(ident), ctypes.py_object(exc_type) if exc_type is not None else ctypes.c_void_p(0)
    )


class interruptible:  # noqa: N801 (used as a function: ``with interruptible(trial_id):``)
    """Let :func:`interrupt` reach ``trial_id`` while the body runs in this thread.

    Put it inside the ``try`` that handles the interruption: the exception may
    be delivered as late as while leaving this block. Leaving is idempotent, so
    the caller may also call :func:`leave` in a ``finally`` to cover the few
    bytecodes between the body's end and this block's exit.
    """

    def __init__(self, trial_id: str) -> None:
        self.trial_id = trial_id

    def __enter__(self) -> None:
        with _LOCK:
            _RUNNING[self.trial_id] = threading.get_ident()

    def __exit__(self, *exc: object) -> None:
        leave(self.trial_id)


def leave(trial_id: str) -> None:
    """Forget ``trial_id`` (if this thread runs it) and clear an interruption still pending for it.

    An interruption delivered during this very call (before the lock is taken)
    must not leave the entry behind, so the call is retried and the
    interruption raised afterwards: it still lands in the trial's ``try``.
    """
    delivered: BaseException | None = None
    while True:
        try:
            with _LOCK:
                if _RUNNING.get(trial_id) == threading.get_ident():
                    del _RUNNING[trial_id]
                    _set_async_exc(threading.get_ident(), None)
            break
        except BaseException as exc:  # an interruption arriving now
            delivered = exc
    if delivered is not None:
        raise delivered


def interrupt(trial_id: str, exc_type: type[BaseException]) -> bool:
    """Raise ``exc_type()`` in the thread running ``trial_id``; False when it runs no interruptible code now."""
    with _LOCK:
        ident = _RUNNING.get(trial_id)
        if ident is None:
            return False
        _set_async_exc(ident, exc_type)
        return True


def is_interruptible(trial_id: str) -> bool:
    """True while ``trial_id`` runs inside :func:`interruptible` in this process."""
    with _LOCK:
        return trial_id in _RUNNING
