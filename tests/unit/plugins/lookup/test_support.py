# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lookup ns.mitogen.support reports this controller."""

from __future__ import annotations

import sys
from importlib import metadata

import pytest
from ansible.errors import AnsibleError
from ansible.plugins.loader import lookup_loader
from ansible.release import __version__ as ansible_core


@pytest.fixture
def lookup():
    return lookup_loader.get("ns.mitogen.support")


def test_reports_the_running_controller(lookup):
    (found,) = lookup.run([], variables={})
    assert found["ansible_core"] == ansible_core
    assert found["python"] == "%d.%d.%d" % sys.version_info[:3]
    assert found["mitogen"] == metadata.version("mitogen")
    assert found["ready"] is True and found["problems"] == []
    assert found["collection"]  # the installed collection's own version


@pytest.mark.parametrize("terms, kwargs", [(["x"], {}), ([], {"strict": True})])
def test_takes_no_terms_and_no_options(lookup, terms, kwargs):
    with pytest.raises(AnsibleError, match="takes no terms and no options"):
        lookup.run(terms, variables={}, **kwargs)
