# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's constants and small helpers (standard library only)."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

# Packages the targets get on top of debootstrap's minbase.
TARGET_PACKAGES = ("python3", "sudo", "doas", "openssh-server", "tini", "iproute2", "procps", "acl", "locales")

# A second language, for tests of localised prompts (off until a test sets LANG).
TARGET_LOCALE = "de_DE.UTF-8"

# Lab accounts (lab only!). Every account but `app` may log in with the lab key.
USERS = {
    "deploy": {"password": "deploy-pw", "sudo": "NOPASSWD: ALL", "key": True},
    "admin": {"password": "admin-pw", "sudo": "ALL", "key": True},
    "app": {"password": "app-pw", "sudo": None, "key": False},
    "guest": {"password": "guest-pw", "sudo": None, "key": True},
    "root": {"password": "root-pw", "sudo": None, "key": True},
}

# Bump when the rootfs recipe changes in a way the hash below does not see.
ROOTFS_RECIPE_VERSION = 2

# Started inside the target's network namespace, in fresh mount/uts/ipc/pid
# namespaces: builds /dev, /proc, /sys and /run, then chroots into the overlay
# and execs tini (PID 1) running sshd in the foreground, on ports 22 and 2222.
HOST_INIT = r"""
set -e
root=$1 name=$2 addr=$3
hostname "$name"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount -t tmpfs -o mode=755,size=16m tmpfs "$root/dev"
for spec in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
    set -- $spec
    mknod -m 666 "$root/dev/$1" c "$2" "$3"
done
mkdir -m 755 "$root/dev/pts"
mkdir -m 1777 "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
mount -t tmpfs -o mode=755,size=64m tmpfs "$root/run"
mkdir -m 755 "$root/run/sshd"
exec chroot "$root" /usr/bin/tini -- /usr/sbin/sshd -D -e -o "ListenAddress=$addr" -o "ListenAddress=$addr:2222"
"""


class LabError(RuntimeError):
    """A lab operation failed; the message says what to do."""


def run(*cmd, check=True, capture=False, quiet=False, **kw):
    """Run a command; with capture, return its stdout as text."""
    if capture:
        kw.setdefault("stdout", subprocess.PIPE)
    if quiet:
        kw.setdefault("stderr", subprocess.DEVNULL)
        kw.setdefault("stdout", subprocess.DEVNULL)
    proc = subprocess.run([str(c) for c in cmd], check=False, text=True, **kw)
    if check and proc.returncode != 0:
        raise LabError("command failed (%d): %s" % (proc.returncode, " ".join(map(str, cmd))))
    return proc.stdout if capture else proc.returncode


def cache_dir() -> Path:
    base = os.environ.get("NS_MITOGEN_CACHE")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(xdg) / "ns-mitogen"


def apt_mirror() -> str:
    """The Debian mirror this machine's own apt configuration uses."""
    deb822 = Path("/etc/apt/sources.list.d/debian.sources")
    if deb822.exists():
        for line in deb822.read_text().splitlines():
            if line.startswith("URIs:") and "security" not in line:
                return line.split()[1]
    legacy = Path("/etc/apt/sources.list")
    if legacy.exists():
        for line in legacy.read_text().splitlines():
            words = line.split()
            if words and words[0] == "deb" and "security" not in line:
                for word in words[1:]:
                    if re.match(r"(https?|file):", word):
                        return word
    raise LabError("no Debian mirror found in the apt configuration: add one to /etc/apt/sources.list")


def os_codename() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("VERSION_CODENAME="):
                return line.split("=", 1)[1].strip('"') or "bookworm"
    return "bookworm"


def mounts_below(prefix: str) -> list[str]:
    with open("/proc/self/mountinfo") as fh:
        points = {line.split()[4] for line in fh if line.split()[4].startswith(prefix)}
    return sorted(points, key=len, reverse=True)


def wait_for(condition, seconds: float, step: float = 0.05) -> bool:
    """Poll condition() until it is true or the time is up; return its last value."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(step)
    return True


def pid_alive(pid: int) -> bool:
    try:
        state = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def port_open(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def say(msg: str) -> None:
    print("lab: " + msg, file=sys.stderr, flush=True)
