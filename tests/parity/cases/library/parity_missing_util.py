# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test module: imports a module_utils that does not exist."""

from __future__ import annotations

DOCUMENTATION = r"""
module: parity_missing_util
short_description: Imports a module_utils that does not exist (a test module)
description: Fails before it runs under ansible-core, which cannot find what it imports.
author: ns.mitogen contributors
"""

# pylint: disable=import-error,no-name-in-module  # the point of this module
from ansible.module_utils.parity_nonexistent import anything
from ansible.module_utils.basic import AnsibleModule

AnsibleModule(argument_spec={}).exit_json(anything=anything)
