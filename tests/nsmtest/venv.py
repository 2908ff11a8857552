# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one builder of cached virtualenvs, and the one finder of Pythons (standard library only).

``./run`` calls it before any virtualenv exists, with the machine's own python3:

    python -m nsmtest.venv find-python [X.Y]               # prints the controller's interpreter, or an X.Y
    python -m nsmtest.venv ensure DIR PYTHON [PIP-ARG...]   # makes DIR once; prints DIR

A virtualenv is complete once it holds ``.complete``; two checkouts asking for
the same one at once wait for each other (a lock beside it) instead of building
it twice. The tests use ``cached()`` for controllers with other packages (one
without the engine, say).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

CACHE_ENV = "NS_MITOGEN_CACHE"


def cache_dir() -> Path:
    base = os.environ.get(CACHE_ENV)
    if base:
        return Path(base)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ns-mitogen"


def python_ok(exe: str, minor: int, exact: bool = False) -> bool:
    """Whether `exe` is a Python 3.`minor` (or later, unless exact) that can make a venv with pip."""
    probe = "import sys, venv, ensurepip; v = sys.version_info[:2]; sys.exit(0 if %s else 1)" % (
        "v == (3, %d)" % minor if exact else "v >= (3, %d)" % minor)
    try:
        return subprocess.run([exe, "-c", probe], capture_output=True, check=False, timeout=60).returncode == 0
    except OSError:
        return False


def _pyenv_pythons(version: str) -> list[str]:
    try:
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return []
    if not root:
        return []
    versions = sorted(Path(root, "versions").glob(version + "*"), reverse=True)
    return [str(v / "bin" / "python3") for v in versions if (v / "bin" / "python3").exists()]


def find_python(want: str = "12") -> str | None:
    """An interpreter: 'X.Y' exactly that version, or 'N' Python 3.N or later (3.13 and 3.12 first).

    PATH first, then pyenv's builds, then python3 itself.
    """
    if "." in want:
        minor = int(want.split(".")[1])
        candidates = [shutil.which("python" + want)] + _pyenv_pythons(want + ".")
        return next((c for c in candidates if c and python_ok(c, minor, exact=True)), None)
    minor = int(want)
    candidates = [shutil.which("python3.13"), shutil.which("python3.12")]
    candidates += _pyenv_pythons("3.13.") + _pyenv_pythons("3.12.") + [shutil.which("python3")]
    return next((c for c in candidates if c and python_ok(c, minor)), None)


def ensure(venv: Path, python: str, *pip_args: str, log: Path | None = None) -> Path:
    """The virtualenv at `venv` made by `python` with `pip install pip_args` (made once)."""
    venv = Path(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / (".%s.lock" % venv.name), "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (venv / ".complete").exists():
            print("ns.mitogen: creating virtualenv %s" % venv, file=sys.stderr, flush=True)
            shutil.rmtree(venv, ignore_errors=True)
            out = open(log, "a", encoding="utf-8") if log else subprocess.DEVNULL  # pylint: disable=consider-using-with
            try:
                for cmd in ([python, "-m", "venv", str(venv)],
                            [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-U", "pip"],
                            [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *pip_args]):
                    if subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False).returncode != 0:
                        shutil.rmtree(venv, ignore_errors=True)
                        raise SystemExit("ns.mitogen: error: %s failed%s" % (
                            " ".join(cmd[:4]), ": see %s" % log if log else ""))
            finally:
                if log:
                    out.close()
            (venv / ".complete").touch()
    return venv


def cached(name: str, *packages: str) -> Path:
    """A virtualenv in the cache with these packages only (made once), e.g. a controller without mitogen."""
    return ensure(cache_dir() / name, sys.executable, *packages)


def controller_python() -> str:
    """The interpreter for the controller's virtualenv: NS_MITOGEN_PYTHON, else 3.12 or later, else 3.11."""
    chosen = os.environ.get("NS_MITOGEN_PYTHON")
    if chosen:
        if python_ok(chosen, 12):
            return chosen
        raise SystemExit("ns.mitogen: error: NS_MITOGEN_PYTHON=%s is not a Python >= 3.12 with venv and ensurepip: "
                         "point it at one" % chosen)
    found = find_python("12") or find_python("11")
    if found is None:
        raise SystemExit("ns.mitogen: error: no usable Python: need Python >= 3.12 with venv and ensurepip (3.11 works "
                         "with ansible-core 2.19); install python3.12 or python3.13 and python3-venv, or set "
                         "NS_MITOGEN_PYTHON=/path/to/python3.12")
    return found


def main(argv: list[str]) -> int:
    if argv == ["find-python"]:
        print(controller_python())
        return 0
    if argv[:1] == ["find-python"] and len(argv) == 2:
        found = find_python(argv[1])
        if found is None:
            return 1
        print(found)
        return 0
    if argv[:1] == ["ensure"] and len(argv) >= 3:
        log = os.environ.get("NSM_VENV_LOG")
        print(ensure(Path(argv[1]), argv[2], *argv[3:], log=Path(log) if log else None))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
