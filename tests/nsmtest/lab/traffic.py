# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Latency injection (NFQUEUE and a small daemon: the kernel has no netem) and byte counters."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import time
from pathlib import Path

from nsmtest.lab.base import LabBase
from nsmtest.lab.common import LabError, pid_alive, run, wait_for

DELAY_SOURCE = Path(__file__).resolve().parent / "nfq_delay.c"


class Traffic(LabBase):
    """Delays the traffic between the controller and the targets, and counts it."""

    def _delay_bin(self) -> Path:
        src = DELAY_SOURCE
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
