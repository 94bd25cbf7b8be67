"""The data directory's files and directories: readable by caretrail's user only.

Children's data lives in them (encrypted or not), so every directory caretrail creates is
0700 and every file 0600, whatever the process's umask. SQLite creates a database's
``-wal`` and ``-shm`` files with the database file's own mode, so creating the database
file first (empty: a valid empty database) with 0600 covers them too. The command line
also sets the umask to 077 once at start (``adapters.driving.cli.main``), for anything
else a process writes (an export's ``--out`` file, a library's own files).
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """``path`` as a directory: created with its missing parents as 0700; one that exists
    keeps its mode (an operator's choice)."""
    missing = []
    for directory in (path, *path.parents):
        if directory.exists():
            break
        missing.append(directory)
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue  # another process made it a moment ago
        os.chmod(directory, DIR_MODE)  # mkdir's mode is masked by the umask
    return path


def private_file(path: Path) -> Path:
    """``path`` as a file: created empty as 0600 (in a private directory) if missing; one
    that exists keeps its mode."""
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return path
    os.close(fd)
    return path
