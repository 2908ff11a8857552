#!/usr/bin/env python
# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ns.mitogen test lab: real targets on one machine.

Every target is a network namespace with its own IP on a private bridge, its
own overlay root filesystem (a cached debootstrap Debian with python3, sudo and
openssh-server), and its own PID, mount, UTS and IPC namespaces, whose PID 1
(tini) runs sshd. Beside them: a private Docker engine with an image imported
from the same root filesystem, latency injection through iptables NFQUEUE (the
kernel has no netem), and byte/packet counters per target.

Run as root. Standard library only, so that it runs before any virtualenv.

    python3 tests/lab/nslab.py up [--hosts N] [--docker]
    python3 tests/lab/nslab.py down [--keep-data]
    python3 tests/lab/nslab.py status
    python3 tests/lab/nslab.py delay OUT_MS [IN_MS] | delay off
    python3 tests/lab/nslab.py bytes

Settings come from the environment: NSM_LAB_NAME (default ``nsm``) names the
namespaces, veths and bridge; NSM_LAB_NET (default ``10.213.0``) is the /24 of
the targets; NS_MITOGEN_CACHE is where the root filesystem and the state live.
Two labs with different names and nets can run side by side.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

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


@dataclasses.dataclass
class Lab:
    """One lab instance: its names, network and directories."""

    name: str = "nsm"
    net: str = "10.213.0"
    cache: Path = dataclasses.field(default_factory=cache_dir)

    @classmethod
    def from_env(cls) -> Lab:
        return cls(name=os.environ.get("NSM_LAB_NAME", "nsm"), net=os.environ.get("NSM_LAB_NET", "10.213.0"))

    def __post_init__(self):
        if not re.fullmatch(r"[a-z][a-z0-9]{0,5}", self.name):
            raise LabError("lab name %r: use 1-6 lower-case letters/digits, starting with a letter" % self.name)
        if not re.fullmatch(r"10\.\d{1,3}\.\d{1,3}", self.net):
            raise LabError("lab net %r: give the first three octets of a 10.x /24, e.g. 10.213.0" % self.net)
        self.cache = Path(self.cache)

    # --- names and paths -------------------------------------------------
    suite = property(lambda self: os_codename())
    bridge = property(lambda self: "%sbr" % self.name)
    state = property(lambda self: self.cache / "lab" / self.name)
    hosts_dir = property(lambda self: self.state / "hosts")
    inventory = property(lambda self: self.state / "inventory.ini")
    info_file = property(lambda self: self.state / "lab.json")
    known_hosts = property(lambda self: self.state / "known_hosts")

    @property
    def rootfs_id(self) -> str:
        recipe = json.dumps([ROOTFS_RECIPE_VERSION, self.suite, TARGET_PACKAGES, USERS], sort_keys=True)
        return "%s-%s" % (self.suite, hashlib.sha256(recipe.encode()).hexdigest()[:10])

    rootfs = property(lambda self: self.cache / "rootfs" / self.rootfs_id)
    key = property(lambda self: self.cache / "rootfs" / (self.rootfs_id + ".key"))

    def netns(self, i: int) -> str:
        return "%s-t%d" % (self.name, i)

    def veth(self, i: int) -> str:
        return "%sv%d" % (self.name, i)

    def ip(self, i: int) -> str:
        return "%s.%d" % (self.net, 10 + i)

    def hostname(self, i: int) -> str:
        return "target%d" % i

    def host_dir(self, i: int) -> Path:
        return self.hosts_dir / self.netns(i)

    # --- root filesystem -------------------------------------------------
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

    # --- targets ----------------------------------------------------------
    def netns_list(self) -> list[str]:
        out = run("ip", "netns", "list", capture=True, check=False) or ""
        pat = re.compile(r"^%s-t\d+$" % re.escape(self.name))
        return sorted((w.split()[0] for w in out.splitlines() if w.split() and pat.match(w.split()[0])),
                      key=lambda n: int(n.rsplit("t", 1)[1]))

    def host_count(self) -> int:
        return len(self.netns_list())

    def _ensure_bridge(self) -> None:
        if run("ip", "link", "show", self.bridge, quiet=True, check=False) != 0:
            run("ip", "link", "add", self.bridge, "type", "bridge")
            run("ip", "addr", "add", self.net + ".1/24", "dev", self.bridge)
        run("ip", "link", "set", self.bridge, "up")

    def _start_host(self, i: int) -> None:
        ns, veth, addr, d = self.netns(i), self.veth(i), self.ip(i), self.host_dir(i)
        for sub in ("upper", "work", "merged"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        if run("mountpoint", "-q", d / "merged", check=False) != 0:
            run("mount", "-t", "overlay", "overlay", "-o",
                "lowerdir=%s,upperdir=%s,workdir=%s" % (self.rootfs, d / "upper", d / "work"), d / "merged")
        # Per-host identity, written before boot so that it is part of the baseline.
        (d / "merged/etc/hostname").write_text(self.hostname(i) + "\n")
        (d / "merged/etc/hosts").write_text("127.0.0.1 localhost\n%s %s\n" % (addr, self.hostname(i)))
        (d / "merged/etc/ssh/ssh_known_hosts").write_text(self.known_hosts_text())
        if run("ip", "netns", "pids", ns, quiet=True, check=False) != 0:
            run("ip", "netns", "add", ns)
        if run("ip", "link", "show", veth, quiet=True, check=False) != 0:
            run("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
            run("ip", "link", "set", veth, "master", self.bridge, "up")
            run("ip", "-n", ns, "addr", "add", addr + "/24", "dev", "eth0")
            run("ip", "-n", ns, "link", "set", "eth0", "up")
            run("ip", "-n", ns, "link", "set", "lo", "up")
            run("ip", "-n", ns, "route", "add", "default", "via", self.net + ".1")
        if run("ip", "netns", "pids", ns, capture=True).strip():
            return  # already running
        with open(d / "sshd.log", "ab") as log:
            # setsid -f: the host's processes are nobody's children here, so a
            # killed host leaves no zombie behind in the process that started it.
            subprocess.check_call(
                ["setsid", "-f", "ip", "netns", "exec", ns, "unshare", "--mount", "--uts", "--ipc", "--pid",
                 "--fork", "--kill-child", "--propagation", "private", "sh", "-c", HOST_INIT, "host-init",
                 str(d / "merged"), self.hostname(i), addr],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)

    def up(self, hosts: int = 3, docker: bool = False) -> float:
        """Bring up targets 1..hosts (idempotent); return the seconds it took."""
        if not 1 <= hosts <= 240:
            raise LabError("--hosts must be 1..240")
        t0 = time.monotonic()
        self.build_rootfs()
        with contextlib.suppress(OSError):
            Path("/proc/sys/net/ipv4/neigh/default/gc_thresh3").write_text("8192\n")
        self.state.mkdir(parents=True, exist_ok=True)
        self._ensure_bridge()
        for i in range(1, hosts + 1):
            self._start_host(i)
        deadline = time.monotonic() + 30
        for i in range(1, hosts + 1):
            while not port_open(self.ip(i), 22):
                if time.monotonic() > deadline:
                    log = (self.host_dir(i) / "sshd.log").read_text(errors="replace")[-2000:]
                    raise LabError("target %d (%s): sshd did not come up; its log:\n%s" % (i, self.ip(i), log))
                time.sleep(0.05)
        self.write_inventory(hosts)
        if docker:
            self.docker_up()
        return time.monotonic() - t0

    def shrink(self, hosts: int) -> None:
        """Remove the targets above the first `hosts` (a test that grew the lab gives it back)."""
        for ns in self.netns_list():
            i = int(ns.rsplit("t", 1)[1])
            if i > hosts:
                self.remove_host(i)
        self.write_inventory(hosts)

    def _stop_host(self, i: int) -> None:
        """Kill every process of target i and unmount its filesystem."""
        ns, d = self.netns(i), self.host_dir(i)

        def stopped():
            pids = (run("ip", "netns", "pids", ns, capture=True, check=False) or "").split()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            return not pids

        if not wait_for(stopped, 10):
            raise LabError("target %d: its processes did not stop" % i)
        if run("mountpoint", "-q", d / "merged", check=False) == 0 and run("umount", d / "merged", check=False) != 0:
            run("umount", "-l", d / "merged")

    def remove_host(self, i: int) -> None:
        """Stop target i and remove its namespace, link and filesystem."""
        ns, d = self.netns(i), self.host_dir(i)
        self._stop_host(i)
        run("ip", "netns", "del", ns, check=False, quiet=True)
        run("ip", "link", "del", self.veth(i), check=False, quiet=True)
        shutil.rmtree(d, ignore_errors=True)

    def known_hosts_text(self) -> str:
        """Every target has the root filesystem's host keys: one pattern covers them all,
        so host key checking stays on, on the controller and on targets used as hops."""
        return "".join("%s.* %s\n" % (self.net, " ".join(pub.read_text().split()[:2]))
                       for pub in sorted((self.rootfs / "etc/ssh").glob("ssh_host_*_key.pub")))

    def write_inventory(self, hosts: int) -> None:
        self.known_hosts.write_text(self.known_hosts_text())
        key = str(self.key)
        lines = ["[targets]"]
        lines += ["%s ansible_host=%s" % (self.hostname(i), self.ip(i)) for i in range(1, hosts + 1)]
        lines += [
            "",
            "[targets:vars]",
            "ansible_user=deploy",
            "ansible_ssh_private_key_file=" + key,
            "ansible_ssh_common_args='-o UserKnownHostsFile=%s'" % self.known_hosts,
            "ansible_python_interpreter=/usr/bin/python3",
            "",
        ]
        self.inventory.write_text("\n".join(lines))
        info = {
            "name": self.name,
            "net": self.net,
            "key": key,
            "known_hosts": str(self.known_hosts),
            "inventory": str(self.inventory),
            "users": {u: v["password"] for u, v in USERS.items()},
            "docker_image": self.image,
            "hosts": [
                {"name": self.hostname(i), "ip": self.ip(i), "netns": self.netns(i), "veth": self.veth(i),
                 "upper": str(self.host_dir(i) / "upper"), "root": str(self.host_dir(i) / "merged"),
                 "sshd_log": str(self.host_dir(i) / "sshd.log")}
                for i in range(1, hosts + 1)
            ],
        }
        self.info_file.write_text(json.dumps(info, indent=2) + "\n")

    def lab_processes(self) -> list[int]:
        """PIDs of every process inside one of this lab's network namespaces."""
        pids = []
        for ns in self.netns_list():
            out = run("ip", "netns", "pids", ns, capture=True, check=False) or ""
            pids += [int(p) for p in out.split()]
        return pids

    def _kill_processes(self) -> bool:
        """SIGKILL every lab process; True once there are none."""
        pids = self.lab_processes()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return not pids

    def lab_mounts(self) -> list[str]:
        """Mount points below this lab's state directory, deepest first."""
        prefix = str(self.state) + "/"
        found = []
        with open("/proc/self/mountinfo") as fh:
            for line in fh:
                point = line.split()[4].replace("\\040", " ")
                if point.startswith(prefix):
                    found.append(point)
        return sorted(set(found), key=len, reverse=True)

    def down(self, keep_data: bool = False) -> None:
        """Remove everything `up` made (idempotent, also after a crash)."""
        self.delay_off()
        self.docker_down()
        wait_for(self._kill_processes, 5)
        for point in self.lab_mounts():
            run("umount", "-l", point, check=False, quiet=True)
        for ns in self.netns_list():
            run("ip", "netns", "del", ns, check=False, quiet=True)
        links = run("ip", "-o", "link", "show", capture=True, check=False) or ""
        for name in re.findall(r"^\d+: (%sv\d+)[@:]" % re.escape(self.name), links, flags=re.M):
            run("ip", "link", "del", name, check=False, quiet=True)
        run("ip", "link", "del", self.bridge, check=False, quiet=True)
        if not keep_data:
            shutil.rmtree(self.hosts_dir, ignore_errors=True)
            for path in (self.inventory, self.info_file, self.known_hosts):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    def leftovers(self) -> list[str]:
        """What of this lab still exists on the machine (empty after `down`)."""
        found = ["netns " + ns for ns in self.netns_list()]
        found += ["mount " + m for m in self.lab_mounts()]
        links = run("ip", "-o", "link", "show", capture=True, check=False) or ""
        ours = r"^\d+: (%s(?:v\d+|br))[@:]" % re.escape(self.name)
        found += ["link " + n for n in re.findall(ours, links, flags=re.M)]
        ps = run("ps", "-eo", "pid=,args=", capture=True)
        marker = re.compile(r"ListenAddress=%s\.\d+\b|%s/" % (re.escape(self.net), re.escape(str(self.state))))
        found += ["process " + line.strip() for line in ps.splitlines() if marker.search(line)]
        return found

    def firewall(self, i: int, allow_from: list[str] | None) -> None:
        """Let only `allow_from` reach target i's sshd (None: everyone again).

        Rules live in the target's own network namespace, as a host firewall would.
        """
        ns = self.netns(i)

        def ipt(*args, check=True):
            return run("ip", "netns", "exec", ns, "iptables", "-w", *args, check=check, quiet=not check)

        if ipt("-n", "-L", "NSMLAB", check=False) != 0:
            ipt("-N", "NSMLAB")
        ipt("-F", "NSMLAB")
        if ipt("-C", "INPUT", "-j", "NSMLAB", check=False) != 0:
            ipt("-I", "INPUT", "-j", "NSMLAB")
        if allow_from is None:
            return
        for source in allow_from:
            ipt("-A", "NSMLAB", "-s", source, "-p", "tcp", "--dport", "22", "-j", "ACCEPT")
        ipt("-A", "NSMLAB", "-p", "tcp", "--dport", "22", "-j", "DROP")

    # --- docker -------------------------------------------------------------
    docker_dir = property(lambda self: self.cache / "docker")
    # The engine belongs to the lab that started it; its images are shared.
    docker_pidfile = property(lambda self: self.state / "dockerd.pid")
    image = property(lambda self: "ns-mitogen-lab/target:" + self.rootfs_id)

    def docker_up(self) -> None:
        """Start the lab's own Docker engine (unless one runs) and import the target image."""
        if not shutil.which("dockerd"):
            raise LabError("dockerd is missing: apt-get install docker.io")
        if run("docker", "info", quiet=True, check=False) != 0:
            self.docker_dir.mkdir(parents=True, exist_ok=True)
            self.state.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                self.docker_pidfile.unlink()
            with open(self.docker_dir / "dockerd.log", "ab") as log:
                subprocess.check_call(
                    ["setsid", "-f", "dockerd", "--data-root", str(self.docker_dir / "data"),
                     "--exec-root", "/run/ns-mitogen-docker", "--pidfile", str(self.docker_pidfile),
                     "--host", "unix:///var/run/docker.sock", "--storage-driver", "overlay2",
                     "--iptables=false", "--ip-forward=false", "--ip-masq=false", "--bip", "10.213.250.1/24"],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            deadline = time.monotonic() + 60
            while run("docker", "info", quiet=True, check=False) != 0:
                if time.monotonic() > deadline:
                    tail = (self.docker_dir / "dockerd.log").read_text(errors="replace")[-2000:]
                    raise LabError("dockerd did not start; its log:\n" + tail)
                time.sleep(0.2)
        self.build_rootfs()
        if run("docker", "image", "inspect", self.image, quiet=True, check=False) != 0:
            tar = subprocess.Popen(["tar", "-C", str(self.rootfs), "--numeric-owner", "-c", "."],
                                   stdout=subprocess.PIPE)
            run("docker", "import", "-c", 'CMD ["/bin/bash"]', "-", self.image, stdin=tar.stdout, quiet=True)
            if tar.wait() != 0:
                raise LabError("could not archive the root filesystem for docker import")

    def make_docker_host(self, i: int) -> None:
        """Let target i run containers of the lab's engine, as a Docker host would.

        The target gets Debian's docker client and, bound into its own mount
        namespace, the engine's socket (root only, as on a real host).
        """
        self.docker_up()
        ns, merged = self.netns(i), self.host_dir(i) / "merged"
        client = shutil.which("docker", path="/usr/bin") or shutil.which("docker")
        shutil.copy2(client, merged / "usr/local/bin/docker")
        init = next((pid for pid in (run("ip", "netns", "pids", ns, capture=True) or "").split()
                     if Path("/proc/%s/comm" % pid).read_text().strip() == "tini"), None)
        if init is None:
            raise LabError("target %d is not running" % i)
        socket_path = merged / "run/docker.sock"
        run("nsenter", "-t", init, "-m", "--", "sh", "-c",
            'mountpoint -q "$1" || { touch "$1" && mount --bind /var/run/docker.sock "$1"; }', "bind", socket_path)

    # --- changing one target for a test, and restoring it ---------------------
    def init_pid(self, i: int) -> str:
        """PID (on this machine) of target i's PID 1, whose mount namespace is the target's."""
        init = next((pid for pid in (run("ip", "netns", "pids", self.netns(i), capture=True, check=False) or "").split()
                     if Path("/proc/%s/comm" % pid).read_text().strip() == "tini"), None)
        if init is None:
            raise LabError("target %d is not running" % i)
        return init

    def _in_target_mounts(self, i: int, script: str, *args: str) -> None:
        run("nsenter", "-t", self.init_pid(i), "-m", "--", "sh", "-ec", script, "sh", *args)

    def bind_ro(self, i: int, source: str | Path, dest: str) -> None:
        """Show directory `source` of this machine read-only at `dest` inside target i."""
        point = self.host_dir(i) / "merged" / dest.lstrip("/")
        self._in_target_mounts(i, 'mkdir -p "$2"; mount --bind "$1" "$2"; mount -o remount,bind,ro "$2"',
                               str(source), str(point))

    def mount_tmpfs(self, i: int, dest: str, options: str = "mode=1777") -> None:
        """Mount a fresh tmpfs with `options` (e.g. 'noexec,mode=1777') at `dest` inside target i."""
        point = self.host_dir(i) / "merged" / dest.lstrip("/")
        self._in_target_mounts(i, 'mkdir -p "$2"; mount -t tmpfs -o "$1" tmpfs "$2"', options, str(point))

    def unmount(self, i: int, dest: str) -> None:
        """Undo bind_ro or mount_tmpfs at `dest` inside target i."""
        point = self.host_dir(i) / "merged" / dest.lstrip("/")
        self._in_target_mounts(i, 'umount "$1"', str(point))

    def reset_host(self, i: int) -> None:
        """Restart target i from the pristine root filesystem: every change to it is gone."""
        d = self.host_dir(i)
        self._stop_host(i)
        for sub in ("upper", "work"):
            shutil.rmtree(d / sub, ignore_errors=True)
        self._start_host(i)
        if not wait_for(lambda: port_open(self.ip(i), 22), 30):
            raise LabError("target %d (%s): sshd did not come back after the reset" % (i, self.ip(i)))

    def docker_down(self) -> None:
        """Remove the lab's containers; stop the engine if this lab started it and no other lab is up."""
        if run("docker", "info", quiet=True, check=False) == 0:
            ids = run("docker", "ps", "-aq", "--filter", "name=^%s-" % self.name, capture=True, check=False) or ""
            if ids.split():
                run("docker", "rm", "-f", *ids.split(), quiet=True, check=False)
        if not self.docker_pidfile.exists() or self.other_labs_up():
            return
        try:
            pid = int(self.docker_pidfile.read_text().strip())
        except (OSError, ValueError):
            pid = None
        if pid and run("docker", "info", quiet=True, check=False) == 0:
            ids = run("docker", "ps", "-aq", capture=True, check=False) or ""
            if ids.split():
                run("docker", "rm", "-f", *ids.split(), quiet=True, check=False)
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            if not wait_for(lambda: not pid_alive(pid), 15):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(FileNotFoundError):
            self.docker_pidfile.unlink()
        for point in mounts_below("/run/ns-mitogen-docker/"):
            run("umount", "-l", point, check=False, quiet=True)
        run("ip", "link", "del", "docker0", check=False, quiet=True)

    def other_labs_up(self) -> bool:
        """Whether another lab (another NSM_LAB_NAME) still has targets, so still needs the engine."""
        out = run("ip", "netns", "list", capture=True, check=False) or ""
        for word in (line.split()[0] for line in out.splitlines() if line.split()):
            m = re.match(r"^(.+)-t\d+$", word)
            if m and m.group(1) != self.name:
                return True
        return False

    # --- latency and counters ------------------------------------------------
    def _delay_bin(self) -> Path:
        src = HERE / "nfq_delay.c"
        digest = hashlib.sha256(src.read_bytes()).hexdigest()[:10]
        binary = self.cache / "bin" / ("nfq-delay-" + digest)
        if not binary.exists():
            binary.parent.mkdir(parents=True, exist_ok=True)
            run("gcc", "-O2", "-Wall", "-o", binary, src, "-lnetfilter_queue", "-lnfnetlink")
        return binary

    def _delay_rules(self, action: str, queue: int) -> None:
        if queue == 0:
            rule = ["OUTPUT", "-d", self.net + ".0/24"]
        else:
            rule = ["INPUT", "-s", self.net + ".0/24"]
        run("iptables", "-w", "-t", "mangle", action, *rule, "-j", "NFQUEUE", "--queue-num",
            str(self._queue_base() + queue), "--queue-bypass", quiet=True, check=action != "-D")

    def _queue_base(self) -> int:
        return 1000 + int(hashlib.sha256(self.name.encode()).hexdigest()[:4], 16) % 1000 * 2

    def delay_on(self, out_ms: float, in_ms: float = 0.0) -> None:
        """Delay controller->targets by out_ms and targets->controller by in_ms."""
        self.delay_off()
        binary = self._delay_bin()
        self.state.mkdir(parents=True, exist_ok=True)
        for queue, ms in ((0, out_ms), (1, in_ms)):
            if ms <= 0:
                continue
            pidfile = self.state / ("delay%d.pid" % queue)
            with open(self.state / "delay.log", "ab") as log:
                proc = subprocess.Popen([str(binary), str(self._queue_base() + queue), str(ms)],
                                        stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
            pidfile.write_text("%d\n" % proc.pid)
            time.sleep(0.1)
            if proc.poll() is not None:
                raise LabError("the delay daemon exited at once: see %s" % (self.state / "delay.log"))
            self._delay_rules("-A", queue)

    def delay_off(self) -> None:
        for queue in (0, 1):
            pidfile = self.state / ("delay%d.pid" % queue)
            if not pidfile.exists():
                continue
            while run("iptables", "-w", "-t", "mangle", "-C", *(["OUTPUT", "-d"] if queue == 0 else ["INPUT", "-s"]),
                      self.net + ".0/24", "-j", "NFQUEUE", "--queue-num", str(self._queue_base() + queue),
                      "--queue-bypass", quiet=True, check=False) == 0:
                self._delay_rules("-D", queue)
            with contextlib.suppress(ValueError, ProcessLookupError, OSError):
                pid = int(pidfile.read_text())
                os.kill(pid, signal.SIGTERM)
                wait_for(lambda: not pid_alive(pid), 1)
            pidfile.unlink()

    def counters(self) -> dict[str, dict[str, int]]:
        """Bytes and packets per target: to_* = controller->target, from_* = target->controller."""
        result = {}
        for ns in self.netns_list():
            i = int(ns.rsplit("t", 1)[1])
            stats = Path("/sys/class/net") / self.veth(i) / "statistics"
            if not stats.exists():
                continue
            names = {"to_bytes": "tx_bytes", "from_bytes": "rx_bytes",
                     "to_packets": "tx_packets", "from_packets": "rx_packets"}
            result[self.hostname(i)] = {k: int((stats / v).read_text()) for k, v in names.items()}
        return result


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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="nslab", description=__doc__.split("\n\n", maxsplit=1)[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_up = sub.add_parser("up", help="bring up targets (idempotent)")
    p_up.add_argument("--hosts", type=int, default=3)
    p_up.add_argument("--docker", action="store_true", help="also start the lab's Docker engine")
    p_down = sub.add_parser("down", help="remove everything the lab made")
    p_down.add_argument("--keep-data", action="store_true")
    sub.add_parser("status", help="print the lab's description (JSON)")
    p_delay = sub.add_parser("delay", help="delay traffic: OUT_MS [IN_MS], or off")
    p_delay.add_argument("out_ms")
    p_delay.add_argument("in_ms", nargs="?", type=float, default=0.0)
    sub.add_parser("bytes", help="print byte/packet counters per target (JSON)")
    sub.add_parser("leftovers", help="list what of the lab still exists; exit 1 if anything")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        raise LabError("the lab needs root (network namespaces, mounts): run it as root or with sudo")
    lab = Lab.from_env()
    if args.cmd == "up":
        took = lab.up(args.hosts, docker=args.docker)
        say("%d target(s) ready in %.1fs; inventory: %s" % (args.hosts, took, lab.inventory))
    elif args.cmd == "down":
        lab.down(keep_data=args.keep_data)
        say("down")
    elif args.cmd == "status":
        print(lab.info_file.read_text() if lab.info_file.exists() else "{}")
    elif args.cmd == "delay":
        if args.out_ms == "off":
            lab.delay_off()
        else:
            lab.delay_on(float(args.out_ms), args.in_ms)
    elif args.cmd == "bytes":
        print(json.dumps(lab.counters(), indent=2))
    elif args.cmd == "leftovers":
        found = lab.leftovers()
        print("\n".join(found))
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except LabError as exc:
        print("lab: error: %s" % exc, file=sys.stderr)
        sys.exit(1)
