# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The targets: network namespaces running sshd on overlays of the root filesystem."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

from nsmtest.lab.common import HOST_INIT, USERS, LabError, port_open, run, wait_for
from nsmtest.lab.docker import DockerEngine
from nsmtest.lab.traffic import Traffic


class Targets(DockerEngine, Traffic):
    """Brings targets up and down, and changes one target for a test and restores it."""

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

    # --- a target as a Docker host -------------------------------------------
    def make_docker_host(self, i: int) -> None:
        """Let target i run containers of the lab's engine, as a Docker host would.

        The target gets Debian's docker client and, bound into its own mount
        namespace, the engine's socket (root only, as on a real host).
        """
        self.docker_up()
        merged = self.host_dir(i) / "merged"
        client = shutil.which("docker", path="/usr/bin") or shutil.which("docker")
        shutil.copy2(client, merged / "usr/local/bin/docker")
        self._in_target_mounts(i, 'mountpoint -q "$1" || { touch "$1" && mount --bind /var/run/docker.sock "$1"; }',
                               str(merged / "run/docker.sock"))

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
