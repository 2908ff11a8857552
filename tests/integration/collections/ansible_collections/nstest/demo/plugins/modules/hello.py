# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test module: greets, optionally after a pause (absolute module_utils import)."""

from __future__ import annotations

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.nstest.demo.plugins.module_utils.greet import greet


def main():
    module = AnsibleModule(argument_spec={"name": {"type": "str", "default": "world"},
                                          "sleep": {"type": "int", "default": 0}})
    time.sleep(module.params["sleep"])
    module.exit_json(changed=False, msg=greet(module.params["name"]))


if __name__ == "__main__":
    main()
