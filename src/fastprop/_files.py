"""Writing a file so that a good one is never destroyed.

``atomic_write(path, write)`` writes to a temporary file beside the target, flushes and
fsyncs it, then renames it over the target: a crash mid-write leaves the old file as it
was. Also:

* through a symlink, the link's target is written (the link stays a link);
* a path that exists but is not a regular file (a directory, a FIFO, a device such as
  ``/dev/null``) is refused, never replaced by a regular file;
* the new file keeps the mode of the file it replaces, else gets the umask's mode
  (0666 & ~umask), as ``open(path, "w")`` would;
* temporary files are named ``.fastprop-<pid>-<random>.tmp``; the ones left by a process
  that no longer runs (killed mid-write) are removed by the next write to that folder.
"""

from __future__ import annotations

import os
import re
import stat
import sys
import threading

TEMP_PREFIX = ".fastprop-"
TEMP_SUFFIX = ".tmp"
_TEMP_NAME = re.compile(r"^\.fastprop-(\d+)-[^/]*\.tmp$")
_umask_lock = threading.Lock()


def target_of(path, name: str = "path") -> str:
    """The file that writing ``path`` would replace: its symlinks resolved, checked to be
    a regular file or not there yet, in a folder that exists."""
    path = os.fspath(path)
    if not isinstance(path, str):
        raise TypeError(f"{name} must be a str or os.PathLike, got {type(path).__name__}")
    if not path:
        raise ValueError(f"{name} is empty: give a file name")
    target = os.path.realpath(path)
    if os.path.exists(target) and not stat.S_ISREG(os.stat(target).st_mode):
        raise ValueError(f"{name} {path!r} is not a regular file: refusing to replace it")
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        raise ValueError(f"{name} {path!r}: directory {directory!r} does not exist")
    return target


def atomic_write(path, write, name: str = "path") -> None:
    """Call ``write(binary_file)`` to fill a temporary file, then put it in ``path``'s
    place atomically (see the module's docstring).

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "note.txt")
    >>> atomic_write(path, lambda fh: fh.write(b"hello"))
    >>> open(path).read()
    'hello'
    """
    import tempfile

    target = target_of(path, name)
    directory = os.path.dirname(target)
    mode = stat.S_IMODE(os.stat(target).st_mode) if os.path.exists(target) else \
        0o666 & ~_umask()
    remove_stale_temporaries(directory)
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=TEMP_SUFFIX,
                               dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def remove_stale_temporaries(directory: str) -> list[str]:
    """Remove the temporary files in ``directory`` whose writing process no longer runs;
    returns their names. (Not on Windows, where a process's liveness is not checked.)"""
    if sys.platform == "win32":
        return []
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        match = _TEMP_NAME.match(name)
        if match is None or int(match.group(1)) == os.getpid() or \
                _running(int(match.group(1))):
            continue
        try:
            os.unlink(os.path.join(directory, name))
            removed.append(name)
        except OSError:
            pass
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # someone else's process, or not a pid we can ask about: keep it
    return True


def _umask() -> int:
    """The process's umask (read without changing it where the system tells it)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _umask_lock:  # elsewhere: set and restore it, under a lock
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _fsync_directory(directory: str) -> None:
    if hasattr(os, "O_DIRECTORY"):
        try:
            fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:  # pragma: no cover - filesystems without directory fds
            return
        try:
            os.fsync(fd)
        except OSError:  # pragma: no cover
            pass
        finally:
            os.close(fd)
