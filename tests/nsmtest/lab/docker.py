# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's private Docker engine and the image imported from the targets' root filesystem."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time

from nsmtest.lab.common import LabError, mounts_below, pid_alive, run, wait_for
from nsmtest.lab.rootfs import RootFilesystem


class DockerEngine(RootFilesystem):
    """Starts and stops the lab's own dockerd; the image is shared between labs."""

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
