# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test module: gives the first and the last line of a text as start and end (when something ran)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: parity_span
short_description: Says when something ran (a test module)
description:
  - Returns the first and the last line of O(text) as RV(start) and RV(end), as the command module
    reports when its command ran: the parity harness compares how many hosts' runs overlapped.
options:
  text:
    description: Lines that begin and end with a date and time (C(date '+%F %T.%N')).
    type: str
    required: true
author: ns.mitogen contributors
"""

RETURN = r"""
start:
  description: The first line of O(text).
  returned: always
  type: str
end:
  description: The last line of O(text).
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={"text": {"type": "str", "required": True}})
    lines = [line.strip() for line in module.params["text"].splitlines() if line.strip()]
    module.exit_json(changed=False, start=lines[0], end=lines[-1])


if __name__ == "__main__":
    main()
