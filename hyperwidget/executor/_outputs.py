"""A trial's files brought back from a worker that may be on another machine (Dask).

A trial on a Dask worker writes its files in a temporary folder of that
worker; when it ends, :func:`collect_files` reads them (up to
:data:`SHIPPED_BYTES_LIMIT` bytes in all) into the trial's outcome, which the
Dask future carries back, and the sweep writes them with :func:`restore_files`
into the trial's folder on the sweep's machine. Files past the limit
(``$HYPERWIDGET_SHIPPED_BYTES``, 64 MiB by default) stay behind, named in a
warning: write big artefacts to shared storage
and save their address instead.

Only regular files are taken, never symbolic links; a name that would reach
outside the trial's folder (an absolute path, ``..``) is refused on both sides.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path, PurePosixPath

from hyperwidget.errors import SweepConfigError

#: Bytes of a Dask trial's files carried back to the sweep's machine with its outcome, in all (the default).
SHIPPED_BYTES_LIMIT = 64 * 2**20
#: The environment variable that sets another limit, in bytes (read by the sweep when it hands out a trial).
ENV_SHIPPED_BYTES = "HYPERWIDGET_SHIPPED_BYTES"


def shipped_bytes_limit() -> int:
    """The bytes of files a Dask trial takes back: ``$HYPERWIDGET_SHIPPED_BYTES``, else :data:`SHIPPED_BYTES_LIMIT`.

    Raises
    ------
    SweepConfigError
        When the variable is not a whole number of bytes >= 0.
    """
    text = os.environ.get(ENV_SHIPPED_BYTES, "").strip()
    if not text:
        return SHIPPED_BYTES_LIMIT
    if not text.isdigit():
        raise SweepConfigError(
            f"{ENV_SHIPPED_BYTES}={text!r}: must be a whole number of bytes, e.g. {ENV_SHIPPED_BYTES}=268435456 "
            "for 256 MiB; unset it for the default of 64 MiB."
        )
    return int(text)


@dataclasses.dataclass(frozen=True)
class ShippedFiles:
    """A trial's files in transit: ``(relative posix name, bytes)`` pairs and the names left behind."""

    files: tuple[tuple[str, bytes], ...] = ()
    left_behind: tuple[str, ...] = ()


def collect_files(folder: Path, limit: int) -> ShippedFiles:
    """The regular files under ``folder`` (no symbolic link followed), smallest first, up to ``limit`` bytes.

    Parameters
    ----------
    folder : Path
        The trial's folder on the worker.
    limit : int
        The most bytes taken in all; the files that do not fit are named in ``left_behind``.
    """
    found = sorted((path.stat().st_size, name) for name, path in _regular_files(folder))
    taken: list[tuple[str, bytes]] = []
    left: list[str] = []
    total = 0
    for size, name in found:
        if total + size > limit:
            left.append(name)
            continue
        taken.append((name, (folder / name).read_bytes()))
        total += size
    return ShippedFiles(tuple(sorted(taken)), tuple(sorted(left)))


def _regular_files(folder: Path) -> list[tuple[str, Path]]:
    """``(posix name relative to folder, path)`` of each regular file, walking no symbolic link."""
    found = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]
        for file in files:
            path = Path(root, file)
            if not path.is_symlink() and path.is_file():
                found.append((path.relative_to(folder).as_posix(), path))
    return found


def safe_relative_name(name: str) -> bool:
    """Whether ``name`` is a relative posix path that stays inside its folder (no ``..``, not absolute)."""
    pure = PurePosixPath(name)
    return (
        bool(name)
        and "\\" not in name
        and "\0" not in name
        and not pure.is_absolute()
        and all(part not in ("", ".", "..") for part in pure.parts)
    )


def _links_on_the_way(folder: Path, name: str) -> bool:
    """Whether a folder on the way from ``folder`` to ``name`` is a symbolic link (never written through)."""
    parts = PurePosixPath(name).parts[:-1]
    return any((folder.joinpath(*parts[: i + 1])).is_symlink() for i in range(len(parts)))


def restore_files(shipped: ShippedFiles, folder: Path) -> list[str]:
    """Write ``shipped``'s files under ``folder``; returns the names refused (unsafe, or reaching outside).

    A file is written only when its resolved target lies strictly inside
    ``folder``: an existing symbolic link on the way is never followed out.
    """
    refused = []
    base = folder.resolve()
    for name, data in shipped.files:
        target = folder / name
        if not safe_relative_name(name) or _links_on_the_way(folder, name):
            refused.append(name)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        resolved = target.resolve()
        if target.is_symlink() or resolved == base or not resolved.is_relative_to(base):
            refused.append(name)
            continue
        resolved.write_bytes(data)
    return refused
