#!/usr/bin/python
# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test module: raises an exception before or after making an AnsibleModule, or returns without exiting."""

from __future__ import annotations

DOCUMENTATION = r"""
module: parity_raises
short_description: Raises an exception (a test module)
description: Raises an exception, or returns without exiting, as O(how) says.
options:
  how:
    description: C(before) or C(after) making the AnsibleModule, or C(return) to return without exiting.
    type: str
    default: after
author: ns.mitogen contributors
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={"how": {"type": "str", "default": "after"}})
    if module.params["how"] == "return":
        return
    raise ValueError("parity boom")


if __name__ == "__main__":
    main()
