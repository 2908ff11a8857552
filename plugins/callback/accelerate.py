# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: accelerate
type: aggregate
short_description: Run plays of the builtin strategies over Mitogen
description:
  - Switches the Mitogen engine on without a third-party strategy plugin. The builtin strategies
    C(ansible.builtin.linear), C(ansible.builtin.free) and C(ansible.builtin.host_pinned) stay in charge, and
    every play they run executes over Mitogen exactly as under C(ns.mitogen.linear), C(ns.mitogen.free) and
    C(ns.mitogen.host_pinned), with no deprecation warning.
  - Enable it in C(ansible.cfg) with C([defaults] callbacks_enabled = ns.mitogen.accelerate), or with the
    environment variable C(ANSIBLE_CALLBACKS_ENABLED=ns.mitogen.accelerate). It prints nothing and works beside
    any stdout callback.
author: ns.mitogen contributors (@ns-mitogen)
version_added: 0.1.0
requirements:
  - The Python package C(mitogen) (>= 0.3.54, < 0.4) on the controller, in the environment that runs C(ansible).
  - Enabling it in C(callbacks_enabled).
notes:
  - >-
    Everything the ns.mitogen strategies do happens on this path too, by the same code: modules and plugins
    are preloaded before workers fork, C(meta: reset_connection) starts a new connection, the engine's hooks
    are installed when a play starts and removed when it ends, the connection multiplexer starts with the
    first play that runs over Mitogen and stops when C(ansible-playbook) exits, also on Ctrl-C and on errors.
    The C(fork_modules) setting of the strategies (C(mitogen_fork_modules), C(NS_MITOGEN_FORK_MODULES),
    C([ns_mitogen] fork_modules)) applies the same way.
  - >-
    Plays under an ns.mitogen strategy run as that strategy runs them; the callback does not act twice.
    Plays under a strategy that is neither builtin nor ns.mitogen (for example a third-party one) run without
    Mitogen, with one warning per strategy.
  - >-
    Ad hoc commands (C(ansible)) load enabled callbacks only with C(bin_ansible_callbacks = True)
    (C(ANSIBLE_LOAD_CALLBACK_PLUGINS=1)); without it they run without Mitogen. Set C(ANSIBLE_STRATEGY=ns.mitogen.linear)
    for them instead, or set that option.
  - >-
    If C(mitogen) is missing or outside the supported range, or ansible-core is unsupported, a play under
    a builtin strategy stops before any task with one line saying what to install.
seealso:
  - plugin: ns.mitogen.linear
    plugin_type: strategy
    description: The strategy way of switching the engine on.
"""

from ansible.plugins.callback import CallbackBase

from ansible_collections.ns.mitogen.plugins.plugin_utils._accelerate import accelerator


class CallbackModule(CallbackBase):
    """Runs the plays of the builtin strategies over Mitogen."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "ns.mitogen.accelerate"
    CALLBACK_NEEDS_ENABLED = True

    def v2_playbook_on_play_start(self, play):
        accelerator().play_start()

    def v2_playbook_on_stats(self, stats):
        accelerator().run_end()
