# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for integration tests: the lab's real targets and ansible runs against them.

`./run test` brings the lab up before this stage; a developer running pytest
alone gets it brought up here and torn down at the end of the session.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid

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


@pytest.fixture
def inventory(lab):
    return lab["inventory"]


@pytest.fixture
def container(lab):
    """A running container of the lab's image, removed afterwards."""
    name = lab["lab"].name + "-c-" + uuid.uuid4().hex[:8]
    subprocess.run(["docker", "run", "-d", "--name", name, "--network", "none", lab["docker_image"],
                    "sleep", "infinity"], check=True, capture_output=True)
    yield name
    subprocess.run(["docker", "rm", "-f", name], check=False, capture_output=True)
