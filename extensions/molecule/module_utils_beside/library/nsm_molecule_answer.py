# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A custom module that imports a module_utils shipped beside it (the scenario module_utils_beside)."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.nsm_molecule_answer import answer


def main():
    module = AnsibleModule(argument_spec={})
    module.exit_json(changed=False, answer=answer())


if __name__ == "__main__":
    main()
