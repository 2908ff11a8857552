# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ssh
short_description: Connect over SSH, over Mitogen
description:
  - Connects with the OpenSSH client, like C(ansible.builtin.ssh), and starts one persistent Python
    interpreter per target and account that runs every task of the play.
  - Options marked B(not applicable) belong to the stock plugin's way of working (a new ssh, scp or sftp
    process per step); they are accepted so that inventories keep working, and setting one explicitly
    gives one warning per run naming it.
author: ns.mitogen contributors (@ns-mitogen)
version_added: 0.1.0
options:
  host:
    description: Hostname or address to connect to.
    type: str
    default: inventory_hostname
    vars:
      - name: inventory_hostname
      - name: ansible_host
      - name: ansible_ssh_host
  port:
    description: Remote port of the SSH server; the ssh client's own default (22) when unset.
    type: int
    vars:
      - name: ansible_port
      - name: ansible_ssh_port
    env:
      - name: ANSIBLE_REMOTE_PORT
    ini:
      - section: defaults
        key: remote_port
    keyword:
      - name: port
  remote_user:
    description: User to log in as; the ssh client's own default (the controller's user) when unset.
    type: str
    vars:
      - name: ansible_user
      - name: ansible_ssh_user
    env:
      - name: ANSIBLE_REMOTE_USER
    ini:
      - section: defaults
        key: remote_user
    keyword:
      - name: remote_user
    cli:
      - name: user
  password:
    description:
      - Password to log in with. Mitogen answers the ssh client's password prompt itself, so C(sshpass) is
        not needed.
    type: str
    vars:
      - name: ansible_password
      - name: ansible_ssh_pass
      - name: ansible_ssh_password
  private_key_file:
    description: Private key file to log in with (ssh C(-i)).
    type: path
    vars:
      - name: ansible_private_key_file
      - name: ansible_ssh_private_key_file
    env:
      - name: ANSIBLE_PRIVATE_KEY_FILE
    ini:
      - section: defaults
        key: private_key_file
    cli:
      - name: private_key_file
  host_key_checking:
    description:
      - Whether the target's host key must be known. When false, unknown and changed keys are accepted and
        nothing is written to C(known_hosts).
    type: bool
    default: true
    vars:
      - name: ansible_host_key_checking
      - name: ansible_ssh_host_key_checking
    env:
      - name: ANSIBLE_HOST_KEY_CHECKING
      - name: ANSIBLE_SSH_HOST_KEY_CHECKING
    ini:
      - section: defaults
        key: host_key_checking
      - section: ssh_connection
        key: host_key_checking
  ssh_executable:
    description: The ssh client to run.
    type: str
    default: ssh
    vars:
      - name: ansible_ssh_executable
    env:
      - name: ANSIBLE_SSH_EXECUTABLE
    ini:
      - section: ssh_connection
        key: ssh_executable
  ssh_args:
    description:
      - Arguments for every ssh command line, given to the ssh client after Mitogen's own options.
      - The stock default (C(-C -o ControlMaster=auto -o ControlPersist=60s)) is harmless here; Mitogen keeps
        its one connection open itself.
    type: str
    default: -C -o ControlMaster=auto -o ControlPersist=60s
    vars:
      - name: ansible_ssh_args
    env:
      - name: ANSIBLE_SSH_ARGS
    ini:
      - section: ssh_connection
        key: ssh_args
  ssh_common_args:
    description: Arguments appended to every ssh command line (after O(ssh_args)).
    type: str
    default: ''
    vars:
      - name: ansible_ssh_common_args
    env:
      - name: ANSIBLE_SSH_COMMON_ARGS
    ini:
      - section: ssh_connection
        key: ssh_common_args
    cli:
      - name: ssh_common_args
  ssh_extra_args:
    description: Arguments appended to the ssh command line after O(ssh_common_args).
    type: str
    default: ''
    vars:
      - name: ansible_ssh_extra_args
    env:
      - name: ANSIBLE_SSH_EXTRA_ARGS
    ini:
      - section: ssh_connection
        key: ssh_extra_args
    cli:
      - name: ssh_extra_args
  timeout:
    description:
      - Seconds to wait for the connection to be set up, login included. Become has its own timeout, so a
        task that logs in and then becomes another user may wait up to twice this long.
    type: int
    default: 10
    vars:
      - name: ansible_ssh_timeout
    env:
      - name: ANSIBLE_TIMEOUT
      - name: ANSIBLE_SSH_TIMEOUT
    ini:
      - section: defaults
        key: timeout
      - section: ssh_connection
        key: timeout
    cli:
      - name: timeout
  verbosity:
    description: Debug level given to the ssh client (C(-v) repeated).
    type: int
    default: 0
    vars:
      - name: ansible_ssh_verbosity
    env:
      - name: ANSIBLE_SSH_VERBOSITY
    ini:
      - section: ssh_connection
        key: verbosity
  mitogen_ssh_compression:
    description: Whether the ssh client compresses the connection (ssh C(-o Compression)).
    type: bool
    default: true
    vars:
      - name: mitogen_ssh_compression
  mitogen_ssh_keepalive_interval:
    description: Seconds between keepalive messages (ssh C(ServerAliveInterval)).
    type: int
    default: 30
    vars:
      - name: mitogen_ssh_keepalive_interval
  mitogen_ssh_keepalive_count:
    description: Keepalive messages left unanswered before the connection counts as lost (ssh C(ServerAliveCountMax)).
    type: int
    default: 10
    vars:
      - name: mitogen_ssh_keepalive_count
  mitogen_ssh_debug_level:
    description: Debug level of the ssh client (C(-v) repeated); when set, it overrides O(verbosity).
    type: int
    vars:
      - name: mitogen_ssh_debug_level
  password_mechanism:
    description: B(Not applicable.) Mitogen answers password prompts itself.
    type: str
    vars:
      - name: ansible_ssh_password_mechanism
    env:
      - name: ANSIBLE_SSH_PASSWORD_MECHANISM
    ini:
      - section: ssh_connection
        key: password_mechanism
  sshpass_prompt:
    description: B(Not applicable.) Mitogen answers password prompts itself.
    type: str
    vars:
      - name: ansible_sshpass_prompt
    env:
      - name: ANSIBLE_SSHPASS_PROMPT
    ini:
      - section: ssh_connection
        key: sshpass_prompt
  private_key:
    description: B(Not applicable.) Give the key as a file with O(private_key_file).
    type: str
    vars:
      - name: ansible_private_key
      - name: ansible_ssh_private_key
    env:
      - name: ANSIBLE_PRIVATE_KEY
  private_key_passphrase:
    description: B(Not applicable.) Load a protected key into C(ssh-agent) instead.
    type: str
    vars:
      - name: ansible_private_key_passphrase
      - name: ansible_ssh_private_key_passphrase
    env:
      - name: ANSIBLE_PRIVATE_KEY_PASSPHRASE
  pipelining:
    description: B(Not applicable.) Modules are always sent over the open connection, never as files.
    type: bool
    vars:
      - name: ansible_pipelining
      - name: ansible_ssh_pipelining
    env:
      - name: ANSIBLE_PIPELINING
      - name: ANSIBLE_SSH_PIPELINING
    ini:
      - section: defaults
        key: pipelining
      - section: connection
        key: pipelining
      - section: ssh_connection
        key: pipelining
  reconnection_retries:
    description: B(Not applicable.) The one connection is not re-established per step.
    type: int
    vars:
      - name: ansible_ssh_retries
    env:
      - name: ANSIBLE_SSH_RETRIES
    ini:
      - section: connection
        key: retries
      - section: ssh_connection
        key: retries
  control_path:
    description: B(Not applicable.) Mitogen keeps its connection open without ssh multiplexing.
    type: str
    vars:
      - name: ansible_control_path
    env:
      - name: ANSIBLE_SSH_CONTROL_PATH
    ini:
      - section: ssh_connection
        key: control_path
  control_path_dir:
    description: B(Not applicable.) Mitogen keeps its connection open without ssh multiplexing.
    type: str
    vars:
      - name: ansible_control_path_dir
    env:
      - name: ANSIBLE_SSH_CONTROL_PATH_DIR
    ini:
      - section: ssh_connection
        key: control_path_dir
  ssh_transfer_method:
    description: B(Not applicable.) Files travel over the Mitogen connection, not with scp or sftp.
    type: str
    vars:
      - name: ansible_ssh_transfer_method
    env:
      - name: ANSIBLE_SSH_TRANSFER_METHOD
    ini:
      - section: ssh_connection
        key: transfer_method
  scp_executable:
    description: B(Not applicable.) Files travel over the Mitogen connection, not with scp.
    type: str
    vars:
      - name: ansible_scp_executable
    env:
      - name: ANSIBLE_SCP_EXECUTABLE
    ini:
      - section: ssh_connection
        key: scp_executable
  scp_extra_args:
    description: B(Not applicable.) Files travel over the Mitogen connection, not with scp.
    type: str
    vars:
      - name: ansible_scp_extra_args
    env:
      - name: ANSIBLE_SCP_EXTRA_ARGS
    ini:
      - section: ssh_connection
        key: scp_extra_args
    cli:
      - name: scp_extra_args
  sftp_executable:
    description: B(Not applicable.) Files travel over the Mitogen connection, not with sftp.
    type: str
    vars:
      - name: ansible_sftp_executable
    env:
      - name: ANSIBLE_SFTP_EXECUTABLE
    ini:
      - section: ssh_connection
        key: sftp_executable
  sftp_extra_args:
    description: B(Not applicable.) Files travel over the Mitogen connection, not with sftp.
    type: str
    vars:
      - name: ansible_sftp_extra_args
    env:
      - name: ANSIBLE_SFTP_EXTRA_ARGS
    ini:
      - section: ssh_connection
        key: sftp_extra_args
    cli:
      - name: sftp_extra_args
  sftp_batch_mode:
    description: B(Not applicable.) Files travel over the Mitogen connection, not with sftp.
    type: bool
    vars:
      - name: ansible_sftp_batch_mode
    env:
      - name: ANSIBLE_SFTP_BATCH_MODE
    ini:
      - section: ssh_connection
        key: sftp_batch_mode
  use_tty:
    description: B(Not applicable.) Mitogen decides when a terminal is needed (password prompts, C(sudo) with C(requiretty)).
    type: bool
    vars:
      - name: ansible_ssh_use_tty
    env:
      - name: ANSIBLE_SSH_USETTY
    ini:
      - section: ssh_connection
        key: usetty
  pkcs11_provider:
    description: B(Not applicable.) Pass C(-o PKCS11Provider=...) in O(ssh_extra_args) instead.
    type: str
    vars:
      - name: ansible_ssh_pkcs11_provider
    env:
      - name: ANSIBLE_PKCS11_PROVIDER
    ini:
      - section: ssh_connection
        key: pkcs11_provider
extends_documentation_fragment:
  - ns.mitogen.connection
"""

from ansible_collections.ns.mitogen.plugins.plugin_utils._connection import MitogenConnection
from ansible_collections.ns.mitogen.plugins.plugin_utils._engine import SshConnection


class Connection(MitogenConnection, SshConnection):
    """ansible.builtin.ssh, executed over Mitogen."""

    ns_mitogen_kind = "ssh"
