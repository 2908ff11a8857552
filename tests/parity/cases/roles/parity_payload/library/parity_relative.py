# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test module of a role: imports its role's module_utils relatively, and json_utils, which the role overrides."""

from __future__ import annotations

DOCUMENTATION = r"""
module: parity_relative
short_description: Imports module_utils relatively (a test module)
description: Returns what its role's module_utils give.
author: ns.mitogen contributors
"""

# pylint: disable=relative-beyond-top-level,no-name-in-module  # a role module's relative imports, as ansible-core's own test
from ..module_utils.basic import AnsibleModule
from ..module_utils.parity_util import ANSWER
from ..module_utils.json_utils import PARITY_OVERRIDE


def main():
    module = AnsibleModule(argument_spec={})
    module.exit_json(answer=ANSWER, json_utils=PARITY_OVERRIDE)


if __name__ == "__main__":
    main()
