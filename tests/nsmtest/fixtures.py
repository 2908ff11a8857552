# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pytest fixtures that the integration and the parity tests share."""

from __future__ import annotations

import json
import os

import pytest

from nsmtest.lab import Lab

LAB_HOSTS = 3


@pytest.fixture(scope="session")
def lab():
    """The lab's description (lab.json), with LAB_HOSTS targets and the Docker engine up."""
    if os.geteuid() != 0:
        pytest.fail("integration tests need root (the lab makes network namespaces): use ./run test")
    instance = Lab.from_env()
    owned = instance.host_count() < LAB_HOSTS or not instance.info_file.exists()
    instance.up(LAB_HOSTS, docker=True)
    try:
        info = json.loads(instance.info_file.read_text())
        info["lab"] = instance
        yield info
    finally:
        if owned:
            instance.down()
