# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: su
short_description: Become another user with su, natively under Mitogen
description:
  - Under the ns.mitogen strategies, the engine runs C(su) once per target and account, answers its password
    prompt, and keeps a persistent Python interpreter as that user for later tasks.
  - Under any other strategy it builds exactly the command C(ansible.builtin.su) builds.
author: ns.mitogen contributors (@ns-mitogen)
version_added: 0.1.0
options:
  become_user:
    description: User to become.
    type: str
    default: root
    vars:
      - name: ansible_become_user
      - name: ansible_su_user
    env:
      - name: ANSIBLE_BECOME_USER
      - name: ANSIBLE_SU_USER
    ini:
      - section: privilege_escalation
        key: become_user
      - section: su_become_plugin
        key: user
    keyword:
      - name: become_user
  become_exe:
    description: The su program to run.
    type: str
    default: su
    vars:
      - name: ansible_become_exe
      - name: ansible_su_exe
    env:
      - name: ANSIBLE_BECOME_EXE
      - name: ANSIBLE_SU_EXE
    ini:
      - section: privilege_escalation
        key: become_exe
      - section: su_become_plugin
        key: executable
    keyword:
      - name: become_exe
  become_flags:
    description:
      - Options given to su.
      - Under the ns.mitogen strategies the engine runs C(su) itself and takes no options; a non-empty value is
        refused with an error before any connection is made.
    type: str
    default: ''
    vars:
      - name: ansible_become_flags
      - name: ansible_su_flags
    env:
      - name: ANSIBLE_BECOME_FLAGS
      - name: ANSIBLE_SU_FLAGS
    ini:
      - section: privilege_escalation
        key: become_flags
      - section: su_become_plugin
        key: flags
    keyword:
      - name: become_flags
  become_pass:
    description: Password of the user to become, which su asks for.
    type: str
    required: false
    vars:
      - name: ansible_become_password
      - name: ansible_become_pass
      - name: ansible_su_pass
    env:
      - name: ANSIBLE_BECOME_PASS
      - name: ANSIBLE_SU_PASS
    ini:
      - section: su_become_plugin
        key: password
  prompt_l10n:
    description:
      - Localised password prompts to recognise besides the English ones (for example C(Passwort)).
      - Under the ns.mitogen strategies the prompt and failure message are those PAM prints in the language of
        the target's login session, found on the first su to each account; a single entry here names the prompt
        to expect instead.
    type: list
    elements: string
    default: []
    vars:
      - name: ansible_su_prompt_l10n
    env:
      - name: ANSIBLE_SU_PROMPT_L10N
    ini:
      - section: su_become_plugin
        key: localized_prompts
"""

from ansible.plugins.become.su import BecomeModule as StockSu


class BecomeModule(StockSu):
    """ansible.builtin.su; under ns.mitogen strategies the engine runs su natively."""
