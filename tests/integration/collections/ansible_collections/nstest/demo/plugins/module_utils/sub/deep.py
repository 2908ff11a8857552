# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A nested module_utils package with a function-level import."""

from __future__ import annotations


def shout(text):
    return text.upper()


def lazy():
    from ansible_collections.nstest.demo.plugins.module_utils.lazyutil import VALUE  # pylint: disable=import-outside-toplevel

    return VALUE
