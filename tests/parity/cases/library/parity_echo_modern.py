# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test module: returns its argument, under ansible-core's modern serialization profile."""

from __future__ import annotations

DOCUMENTATION = r"""
module: parity_echo_modern
short_description: Returns its argument with the modern serialization profile (a test module)
description: Returns O(data) as it reached the module; dates and times keep their types.
options:
  data:
    description: Anything.
    type: raw
author: ns.mitogen contributors
"""

# ansible-core reads this only with its experimental setting _ANSIBLE_MODULE_METADATA=1.
METADATA = """
schema_version: 1
serialization_profile: modern
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={"data": {"type": "raw"}})
    module.exit_json(data=module.params["data"])


if __name__ == "__main__":
    main()
