"""Writing files so that readers see the old file or the new one, never half a file."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from islandcover.errors import IslandcoverError

__all__ = ["write_text_atomic"]


def write_text_atomic(path: str | Path, text: str, *, what: str = "file") -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically: a temporary file in the same folder,
    flushed to disk, then moved over ``path`` in one step; nothing is left behind on failure.

    Parameters
    ----------
    path : str or Path
        The file to write; its folder must exist.
    text : str
        The content.
    what : str
        What is being written, for the error message (``"travel-time matrix"``).

    Raises
    ------
    IslandcoverError
        If the folder does not exist, ``path`` is a folder, or the write fails.
    """
    target = Path(path).resolve()
    if not target.parent.is_dir():
        raise IslandcoverError(f"cannot write the {what} to {target}: folder {target.parent} does not exist")
    if target.is_dir():
        raise IslandcoverError(f"cannot write the {what} to {target}: it is a folder")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise IslandcoverError(f"cannot write the {what} to {target}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
