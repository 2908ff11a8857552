# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: docker
short_description: Run tasks in Docker containers, over Mitogen
description:
  - Runs tasks inside a running container with C(docker exec), like C(community.docker.docker), and keeps
    one persistent Python interpreter per container and account.
  - Options marked B(not applicable) are accepted so that inventories keep working; setting one explicitly
    gives one warning per run naming it.
  - A container on another machine is reached through that machine with O(mitogen_via), for example
    C(mitogen_via=dockerhost) for a host C(dockerhost) in the inventory.
author: ns.mitogen contributors (@ns-mitogen)
version_added: 0.1.0
options:
  remote_addr:
    description: Name or ID of the container.
    type: str
    default: inventory_hostname
    vars:
      - name: inventory_hostname
      - name: ansible_host
      - name: ansible_docker_host
  remote_user:
    description: User to run as inside the container (C(docker exec --user)); the image's user when unset.
    type: str
    vars:
      - name: ansible_user
      - name: ansible_docker_user
    ini:
      - section: defaults
        key: remote_user
    env:
      - name: ANSIBLE_REMOTE_USER
    cli:
      - name: user
    keyword:
      - name: remote_user
  timeout:
    description: Seconds to wait for the interpreter in the container to start.
    type: int
    default: 10
    vars:
      - name: ansible_docker_timeout
    env:
      - name: ANSIBLE_TIMEOUT
      - name: ANSIBLE_DOCKER_TIMEOUT
    ini:
      - section: defaults
        key: timeout
  docker_extra_args:
    description: B(Not applicable.) The engine runs C(docker exec) without extra arguments.
    type: str
    vars:
      - name: ansible_docker_extra_args
    ini:
      - section: docker_connection
        key: extra_cli_args
  extra_env:
    description: B(Not applicable.) Use the C(environment) keyword of the task or play instead.
    type: dict
    vars:
      - name: ansible_docker_extra_env
  working_dir:
    description: B(Not applicable.) Use the C(chdir) option of the command and shell modules instead.
    type: str
    vars:
      - name: ansible_docker_working_dir
    env:
      - name: ANSIBLE_DOCKER_WORKING_DIR
    ini:
      - section: docker_connection
        key: working_dir
  privileged:
    description: B(Not applicable.) The interpreter runs with the container's normal privileges.
    type: bool
    vars:
      - name: ansible_docker_privileged
    env:
      - name: ANSIBLE_DOCKER_PRIVILEGED
    ini:
      - section: docker_connection
        key: privileged
  mitogen_docker_path:
    description: The docker client to run, for example C(/usr/local/bin/docker); C(docker) from C(PATH) when unset.
    type: path
    vars:
      - name: mitogen_docker_path
extends_documentation_fragment:
  - ns.mitogen.connection
"""

from ansible_collections.ns.mitogen.plugins.plugin_utils._connection import MitogenConnection
from ansible_collections.ns.mitogen.plugins.plugin_utils._engine import DockerConnection


class Connection(MitogenConnection, DockerConnection):
    """community.docker.docker, executed over Mitogen."""

    ns_mitogen_kind = "docker"
