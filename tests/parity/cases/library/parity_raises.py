# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test module: raises an exception after making its AnsibleModule, or returns without exiting."""

from __future__ import annotations

DOCUMENTATION = r"""
module: parity_raises
short_description: Raises an exception (a test module)
description: Raises an exception, or returns without exiting, as O(how) says.
options:
  how:
    description: C(raise) to raise an exception, C(return) to return without exiting.
    type: str
    default: raise
author: ns.mitogen contributors
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={"how": {"type": "str", "default": "raise"}})
    if module.params["how"] == "return":
        return
    raise ValueError("parity boom")


if __name__ == "__main__":
    main()
