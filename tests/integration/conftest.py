# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for integration tests: the lab's real targets and ansible runs against them.

`./run test` brings the lab up before this stage; a developer running pytest
alone gets it brought up here and torn down at the end of the session.
"""

from __future__ import annotations

import subprocess
import uuid

import pytest

from nsmtest.fixtures import lab  # noqa: F401  # pylint: disable=unused-import  # the lab fixture


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
