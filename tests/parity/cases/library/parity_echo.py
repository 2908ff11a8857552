# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test module: returns its argument (ansible-core's serialization profile: legacy, the default)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: parity_echo
short_description: Returns its argument (a test module)
description: Returns O(data) as it reached the module.
options:
  data:
    description: Anything.
    type: raw
author: ns.mitogen contributors
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={"data": {"type": "raw"}})
    module.exit_json(data=module.params["data"])


if __name__ == "__main__":
    main()
