# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's names and places: its namespaces, links, addresses and directories."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from pathlib import Path

from nsmtest.lab.common import ROOTFS_RECIPE_VERSION, TARGET_PACKAGES, USERS, LabError, cache_dir, os_codename, run


@dataclasses.dataclass
class LabBase:
    """One lab instance: its names, network and directories."""

    name: str = "nsm"
    net: str = "10.213.0"
    cache: Path = dataclasses.field(default_factory=cache_dir)

    @classmethod
    def from_env(cls):
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

    def netns_list(self) -> list[str]:
        out = run("ip", "netns", "list", capture=True, check=False) or ""
        pat = re.compile(r"^%s-t\d+$" % re.escape(self.name))
        return sorted((w.split()[0] for w in out.splitlines() if w.split() and pat.match(w.split()[0])),
                      key=lambda n: int(n.rsplit("t", 1)[1]))

    def host_count(self) -> int:
        return len(self.netns_list())
