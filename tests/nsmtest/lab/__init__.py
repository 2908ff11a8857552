# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ns.mitogen test lab: real targets on one machine.

Every target is a network namespace with its own IP on a private bridge, its
own overlay root filesystem (a cached debootstrap Debian with python3, sudo and
openssh-server), and its own PID, mount, UTS and IPC namespaces, whose PID 1
(tini) runs sshd. Beside them: a private Docker engine with an image imported
from the same root filesystem, latency injection through iptables NFQUEUE (the
kernel has no netem), and byte/packet counters per target.

Run as root. Standard library only. One class per concern: base (names and places),
rootfs, docker, traffic (latency, counters) and targets; ``Lab`` is all of them.

    python -m nsmtest.lab up [--hosts N] [--docker]
    python -m nsmtest.lab down [--keep-data]
    python -m nsmtest.lab status
    python -m nsmtest.lab delay OUT_MS [IN_MS] | delay off
    python -m nsmtest.lab bytes

Settings come from the environment: NSM_LAB_NAME (default ``nsm``) names the
namespaces, veths and bridge; NSM_LAB_NET (default ``10.213.0``) is the /24 of
the targets; NS_MITOGEN_CACHE is where the root filesystem and the state live.
Two labs with different names and nets can run side by side.
"""

from __future__ import annotations

from nsmtest.lab.common import USERS, LabError, pid_alive, port_open, wait_for
from nsmtest.lab.targets import Targets

__all__ = ["Lab", "LabError", "USERS", "pid_alive", "port_open", "wait_for"]


class Lab(Targets):
    """One lab instance (NSM_LAB_NAME, NSM_LAB_NET): its targets, Docker engine, latency and counters."""
