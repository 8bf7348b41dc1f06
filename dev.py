#!/usr/bin/env python3
"""Set-up in one step: ``python3 dev.py serve`` starts iamd, ``python3 dev.py test`` tests it.

Needs only Python 3.11+ and git. The first run creates ``.venv`` and installs iamd with
its test dependencies from PyPI; later runs reinstall only when ``pyproject.toml`` changed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".iamd-installed"


def _python() -> Path:
    return BIN / ("python.exe" if os.name == "nt" else "python")


def ensure_environment() -> None:
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted and _python().exists():
        return
    if not _python().exists():
        print("creating .venv ...", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("installing iamd and its test dependencies into .venv ...", file=sys.stderr)
    pip = [str(_python()), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("serve", "test", "bench", "install"):
        print("usage: python3 dev.py serve [iamd serve options] | test [pytest options] | install", file=sys.stderr)
        return 2
    ensure_environment()
    command, rest = argv[0], argv[1:]
    if command == "install":
        return 0
    if command == "serve":
        args = [str(_python()), "-m", "iamd.cli", "serve", *rest]
    elif command == "test":
        args = [str(_python()), "-m", "pytest", "-n", os.environ.get("IAMD_TEST_WORKERS", "2"), *rest]
    else:
        args = [str(_python()), *rest]
    os.chdir(ROOT)
    os.execv(args[0], args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
