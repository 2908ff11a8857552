# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test module: imports EmbedManager (ansible-core 2.21) and embeds nothing, which ansible-core refuses."""

from __future__ import annotations

DOCUMENTATION = r"""
module: parity_embed_unused
short_description: Imports EmbedManager and embeds nothing (a test module)
description: ansible-core refuses it before it runs.
author: ns.mitogen contributors
"""

# pylint: disable=import-error,no-name-in-module,unused-import  # the point of this module (ansible-core >= 2.21)
from ansible.module_utils.embed import EmbedManager
from ansible.module_utils.basic import AnsibleModule

AnsibleModule(argument_spec={}).exit_json()
