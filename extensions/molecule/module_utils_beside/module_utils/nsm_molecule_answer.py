# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A module_utils shipped beside a playbook's custom module (the scenario module_utils_beside)."""

from __future__ import annotations


def answer():
    return 42
