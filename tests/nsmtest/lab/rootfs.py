# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The targets' shared, read-only root filesystem: debootstrapped once and cached."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from nsmtest.lab.base import LabBase
from nsmtest.lab.common import TARGET_LOCALE, TARGET_PACKAGES, USERS, LabError, apt_mirror, run, say


class RootFilesystem(LabBase):
    """Builds the root filesystem every target's overlay starts from."""

    def build_rootfs(self) -> None:
        """Debootstrap the shared, read-only target filesystem once (cached).

        Labs of other names (other checkouts) share it: the first one builds it
        while the others wait on a lock beside it.
        """
        if self._rootfs_ready():
            return
        self.rootfs.parent.mkdir(parents=True, exist_ok=True)
        with open(self.rootfs.with_name(self.rootfs.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not self._rootfs_ready():
                self._build_rootfs()

    def _rootfs_ready(self) -> bool:
        return (self.rootfs / "etc" / "ns-mitogen-lab").exists() and self.key.exists()

    def _build_rootfs(self) -> None:
        for tool in ("debootstrap", "ssh-keygen"):
            if not shutil.which(tool):
                raise LabError("%s is missing: apt-get install debootstrap openssh-client" % tool)
        # A build of its own (a lab of an older checkout may build beside it, without the lock).
        tmp = self.rootfs.with_name("%s.tmp-%d" % (self.rootfs.name, os.getpid()))
        shutil.rmtree(tmp, ignore_errors=True)
        log = self.rootfs.with_name(self.rootfs.name + ".log")
        t0 = time.monotonic()
        say("building the target root filesystem (%s, cached afterwards)" % self.rootfs_id)
        with open(log, "w") as fh:
            rc = subprocess.call(
                ["debootstrap", "--variant=minbase", "--include=" + ",".join(TARGET_PACKAGES),
                 self.suite, str(tmp), apt_mirror()], stdout=fh, stderr=subprocess.STDOUT)
        if rc != 0:
            tail = log.read_text().splitlines()[-15:]
            shutil.rmtree(tmp, ignore_errors=True)
            raise LabError("debootstrap failed (see %s):\n%s" % (log, "\n".join(tail)))
        key = tmp.with_name(tmp.name + ".key")
        with contextlib.suppress(FileNotFoundError):
            key.unlink()
            key.with_suffix(".key.pub").unlink()
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ns-mitogen-lab", "-f", key)
        self._configure_rootfs(tmp, key.with_name(key.name + ".pub").read_text())
        try:
            os.rename(tmp, self.rootfs)
        except OSError:  # another build finished first: keep that one, and its key
            shutil.rmtree(tmp, ignore_errors=True)
            return
        os.replace(key, self.key)
        os.replace(key.with_name(key.name + ".pub"), self.key.with_name(self.key.name + ".pub"))
        say("root filesystem ready in %.0fs" % (time.monotonic() - t0))

    @staticmethod
    def _configure_rootfs(root: Path, pubkey: str) -> None:
        def chroot(*cmd, **kw):
            return run("chroot", root, "/usr/bin/env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", *cmd, **kw)

        for user in USERS:
            if user != "root":
                chroot("useradd", "-m", "-s", "/bin/bash", user)
        chroot("chpasswd", input="".join("%s:%s\n" % (u, v["password"]) for u, v in USERS.items()))
        sudoers = "".join("%s ALL=(ALL:ALL) %s\n" % (u, v["sudo"]) for u, v in USERS.items() if v["sudo"])
        sudoers += "Defaults lecture=never\n"
        path = root / "etc/sudoers.d/ns-mitogen-lab"
        path.write_text(sudoers)
        path.chmod(0o440)
        for user, spec in USERS.items():
            if not spec["key"]:
                continue
            home = "/root" if user == "root" else "/home/" + user
            ssh = root / home.lstrip("/") / ".ssh"
            ssh.mkdir(mode=0o700, exist_ok=True)
            (ssh / "authorized_keys").write_text(pubkey)
            (ssh / "authorized_keys").chmod(0o600)
            chroot("chown", "-R", "%s:" % user, home + "/.ssh")
        (root / "etc/ssh/sshd_config.d/ns-mitogen-lab.conf").write_text(
            "PermitRootLogin yes\nPasswordAuthentication yes\nUseDNS no\n"
            "MaxStartups 500:30:1000\nMaxSessions 500\n")
        # sshd is PID 1's child in a PID namespace: it cannot set loginuid there.
        pam = root / "etc/pam.d/sshd"
        pam.write_text(re.sub(r"^session\s+required\s+pam_loginuid\.so", "session optional pam_loginuid.so",
                              pam.read_text(), flags=re.M))
        for tmp_dir in ("tmp", "var/tmp"):
            for entry in (root / tmp_dir).iterdir():
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        # doas: deploy without a password, admin with one (as for sudo).
        doas = "".join("permit %s%s\n" % ("nopass " if v["sudo"].startswith("NOPASSWD") else "", u)
                       for u, v in USERS.items() if v["sudo"])
        (root / "etc/doas.conf").write_text(doas)
        (root / "etc/doas.conf").chmod(0o400)
        lang, _dot, charset = TARGET_LOCALE.partition(".")
        chroot("localedef", "-i", lang, "-f", charset, TARGET_LOCALE)
        (root / "etc/ns-mitogen-lab").write_text("ns.mitogen lab target filesystem\n")
