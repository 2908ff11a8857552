# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every ns.mitogen connection has in common, for its documentation."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  mitogen_via:
    description:
      - Reach this host through another inventory host (connection delegation), for example a bastion,
        or the machine that runs a container.
      - The value is C([[become_method:]become_user@]inventory_host); the hop is itself reached with its own
        connection settings, so hops chain (A via B via C). Connections through a hop are made by the
        hop's Mitogen interpreter, and module code crosses each link once, however many targets sit
        behind it.
      - Set it as a host or group variable, or with C(-e) for a whole run. A hop that names a host already
        on the path is a cycle and fails with a message naming the hosts.
      - Names of connections and become methods may be short or fully qualified (C(ansible.builtin.sudo)).
      - Passwords for a hop come from that host's inventory variables (C(ansible_password),
        C(ansible_become_password)).
    type: str
    vars:
      - name: mitogen_via
  mitogen_mask_remote_name:
    description:
      - When true, the interpreter on the target shows as C(python3(mitogen:ansible)) in the process list,
        instead of C(python3(mitogen:USER@CONTROLLER:PID)), which names the controller's user, host name and
        process.
    type: bool
    default: false
    vars:
      - name: mitogen_mask_remote_name
notes:
  - >-
    This connection runs only over Mitogen, under the strategies C(ns.mitogen.linear), C(ns.mitogen.free) and
    C(ns.mitogen.host_pinned), or under the builtin ones with the callback C(ns.mitogen.accelerate) enabled;
    otherwise its tasks fail with one line saying what to set.
  - >-
    It keeps one persistent Python interpreter per target and account, runs modules in it with their code
    cached in RAM, and transfers files over the same connection (no scp or sftp).
"""
