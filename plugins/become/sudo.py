# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: sudo
short_description: Become another user with sudo, natively under Mitogen
description:
  - Under the ns.mitogen strategies, the engine runs C(sudo) once per target and account and keeps a
    persistent Python interpreter as that user; later tasks reuse it with no shell command line and no
    temporary files.
  - Under any other strategy it builds exactly the command C(ansible.builtin.sudo) builds.
  - Under the ns.mitogen strategies, C(sudo) runs a Python interpreter instead of a shell command line, so a
    restricted C(sudoers) entry must allow that interpreter (see the collection's usage guide).
author: ns.mitogen contributors (@ns-mitogen)
version_added: 0.1.0
options:
  become_user:
    description: User to become.
    type: str
    default: root
    vars:
      - name: ansible_become_user
      - name: ansible_sudo_user
    env:
      - name: ANSIBLE_BECOME_USER
      - name: ANSIBLE_SUDO_USER
    ini:
      - section: privilege_escalation
        key: become_user
      - section: sudo_become_plugin
        key: user
    keyword:
      - name: become_user
  become_exe:
    description: The sudo program to run.
    type: str
    default: sudo
    vars:
      - name: ansible_become_exe
      - name: ansible_sudo_exe
    env:
      - name: ANSIBLE_BECOME_EXE
      - name: ANSIBLE_SUDO_EXE
    ini:
      - section: privilege_escalation
        key: become_exe
      - section: sudo_become_plugin
        key: executable
    keyword:
      - name: become_exe
  become_flags:
    description:
      - Options given to sudo.
      - Under the ns.mitogen strategies the engine reads them as sudo would and applies C(-H) (home of the
        target user), C(-E) (keep the environment), C(-i) (login environment), C(-u), and the SELinux
        C(-r)/C(-t); C(-S) and C(-n) are implied by how it talks to sudo. Any other option fails the task.
    type: str
    default: -H -S -n
    vars:
      - name: ansible_become_flags
      - name: ansible_sudo_flags
    env:
      - name: ANSIBLE_BECOME_FLAGS
      - name: ANSIBLE_SUDO_FLAGS
    ini:
      - section: privilege_escalation
        key: become_flags
      - section: sudo_become_plugin
        key: flags
    keyword:
      - name: become_flags
  become_pass:
    description: Password sudo asks for; not needed for a C(NOPASSWD) rule.
    type: str
    required: false
    vars:
      - name: ansible_become_password
      - name: ansible_become_pass
      - name: ansible_sudo_pass
    env:
      - name: ANSIBLE_BECOME_PASS
      - name: ANSIBLE_SUDO_PASS
    ini:
      - section: sudo_become_plugin
        key: password
  sudo_chdir:
    description:
      - Directory to change into before running the command (sudo C(--chdir)).
      - Under the ns.mitogen strategies the interpreter starts in the target user's home directory instead;
        use the C(chdir) option of the command and shell modules there.
    type: string
    required: false
    vars:
      - name: ansible_sudo_chdir
    env:
      - name: ANSIBLE_SUDO_CHDIR
    ini:
      - section: sudo_become_plugin
        key: chdir
"""

from ansible.plugins.become.sudo import BecomeModule as StockSudo


class BecomeModule(StockSudo):
    """ansible.builtin.sudo; under ns.mitogen strategies the engine runs sudo natively."""
