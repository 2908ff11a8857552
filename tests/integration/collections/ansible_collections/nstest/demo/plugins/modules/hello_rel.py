# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test module: relative, nested and function-level module_utils imports."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule

from ..module_utils.greet import greet
from ..module_utils.sub.deep import lazy, shout


def main():
    module = AnsibleModule(argument_spec={"name": {"type": "str", "default": "world"}})
    module.exit_json(changed=False, msg=shout(greet(module.params["name"])), lazy=lazy())


if __name__ == "__main__":
    main()
