# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test module_utils of the nstest.demo collection."""

from __future__ import annotations


def greet(name):
    return "hello, %s" % name
