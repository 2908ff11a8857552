# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every test here runs on both ways of switching the engine on.

"strategy": plays run under ns.mitogen.linear/free/host_pinned, as each test says.
"callback": the same runs under the builtin strategy of the same name with the
callback ns.mitogen.accelerate enabled (ansible_run.activation_env rewrites
the environment of every ansible run).

Runs once: tests marked one_activation (they are about the strategy plugins
themselves), and the cases of a test whose parameter id says "stock" or
"engine" (no ns.mitogen activation in them, so both paths would be the same run).
"""

from __future__ import annotations

import pytest

from nsmtest.modes import ACTIVATION_ENV, ACTIVATIONS

SAME_ON_BOTH_PATHS = ("stock", "engine")


def pytest_configure(config):
    config.addinivalue_line("markers", "one_activation: runs on the strategy path only (about the strategy plugins)")


def pytest_generate_tests(metafunc):
    if "activation" in metafunc.fixturenames and not metafunc.definition.get_closest_marker("one_activation"):
        metafunc.parametrize("activation", ACTIVATIONS, indirect=True)


def pytest_collection_modifyitems(config, items):
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        twice = callspec is not None and callspec.params.get("activation") == "callback" and \
            any(word in callspec.id.split("-") for word in SAME_ON_BOTH_PATHS)
        (drop if twice else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(autouse=True)
def activation(request, monkeypatch):
    """How ns.mitogen is switched on for the ansible runs of this test."""
    name = getattr(request, "param", ACTIVATIONS[0])
    monkeypatch.setenv(ACTIVATION_ENV, name)
    return name
