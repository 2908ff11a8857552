# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: doas
short_description: Become another user with doas, natively under Mitogen
description:
  - Under the ns.mitogen strategies, the engine runs C(doas) once per target and account, answers its password
    prompt, and keeps a persistent Python interpreter as that user for later tasks.
  - Under any other strategy it builds the command C(community.general.doas) builds, without needing that
    collection.
author: ns.mitogen contributors (@ns-mitogen)
version_added: 0.1.0
options:
  become_user:
    description: User to become.
    type: str
    vars:
      - name: ansible_become_user
      - name: ansible_doas_user
    env:
      - name: ANSIBLE_BECOME_USER
      - name: ANSIBLE_DOAS_USER
    ini:
      - section: privilege_escalation
        key: become_user
      - section: doas_become_plugin
        key: user
    keyword:
      - name: become_user
  become_exe:
    description: The doas program to run.
    type: str
    default: doas
    vars:
      - name: ansible_become_exe
      - name: ansible_doas_exe
    env:
      - name: ANSIBLE_BECOME_EXE
      - name: ANSIBLE_DOAS_EXE
    ini:
      - section: privilege_escalation
        key: become_exe
      - section: doas_become_plugin
        key: executable
    keyword:
      - name: become_exe
  become_flags:
    description:
      - Options given to doas. Without a password, C(-n) is added so that doas never waits for one.
      - Under the ns.mitogen strategies the engine runs C(doas) itself and takes no options; a non-empty value is
        refused with an error before any connection is made.
    type: str
    default: ''
    vars:
      - name: ansible_become_flags
      - name: ansible_doas_flags
    env:
      - name: ANSIBLE_BECOME_FLAGS
      - name: ANSIBLE_DOAS_FLAGS
    ini:
      - section: privilege_escalation
        key: become_flags
      - section: doas_become_plugin
        key: flags
    keyword:
      - name: become_flags
  become_pass:
    description: Password that doas asks for (the password of the user running it).
    type: str
    required: false
    secret: true
    vars:
      - name: ansible_become_password
      - name: ansible_become_pass
      - name: ansible_doas_pass
    env:
      - name: ANSIBLE_BECOME_PASS
      - name: ANSIBLE_DOAS_PASS
    ini:
      - section: doas_become_plugin
        key: password
  prompt_l10n:
    description:
      - Password prompts to recognise instead of the built-in ones (C(doas \() and C(Password:)).
      - Under the ns.mitogen strategies the first entry is the prompt the engine waits for.
    type: list
    elements: str
    default: []
    vars:
      - name: ansible_doas_prompt_l10n
    env:
      - name: ANSIBLE_DOAS_PROMPT_L10N
    ini:
      - section: doas_become_plugin
        key: localized_prompts
  allow_pipelining:
    description:
      - Allow SSH pipelining under stock strategies. Only safe when doas asks no password (C(nopass) in doas.conf).
      - Not applicable under the ns.mitogen strategies, which do not use pipelining.
    type: bool
    default: false
    vars:
      - name: ansible_doas_allow_pipelining
    env:
      - name: ANSIBLE_DOAS_ALLOW_PIPELINING
    ini:
      - section: doas_become_plugin
        key: allow_pipelining
notes:
  - The stock plugin of the same name is C(community.general.doas); this one needs no other collection.
"""

from ansible_collections.ns.mitogen.plugins.plugin_utils._become import DoasBecome


class BecomeModule(DoasBecome):
    """doas; under ns.mitogen strategies the engine runs doas natively."""

    name = "ns.mitogen.doas"
