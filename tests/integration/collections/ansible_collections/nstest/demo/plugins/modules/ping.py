# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test module: shares its short name with ansible.builtin.ping."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.nstest.demo.plugins.module_utils.greet import greet


def main():
    module = AnsibleModule(argument_spec={})
    module.exit_json(changed=False, ping=greet("nstest"))


if __name__ == "__main__":
    main()
