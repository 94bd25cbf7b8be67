"""What the privacy tests check of a data directory: every directory 0700, every file 0600."""

from __future__ import annotations

import stat
from pathlib import Path


def modes(data_dir: Path) -> dict[str, int]:
    """The permission bits of the data directory and of everything in it, by relative path."""
    found = {".": stat.S_IMODE(data_dir.stat().st_mode)}
    for path in sorted(data_dir.rglob("*")):
        found[str(path.relative_to(data_dir))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def wider_than_private(data_dir: Path) -> dict[str, str]:
    """What is readable (or writable) by anyone but the owner: path -> mode in octal."""
    return {
        name: oct(mode) for name, mode in modes(data_dir).items()
        if mode != (0o700 if (data_dir / name).is_dir() else 0o600)
    }
