# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test module: imports AnsibleModule through the module_utils package, a form ansible-core takes for Python."""

from __future__ import annotations

DOCUMENTATION = r"""
module: parity_package_import
short_description: Imports module_utils through its package (a test module)
description: Says which process ran it and in which interpreter.
author: ns.mitogen contributors
"""

import sys

from ansible.module_utils import basic


def main():
    module = basic.AnsibleModule(argument_spec={})
    module.exit_json(python_major=sys.version_info[0])


if __name__ == "__main__":
    main()
