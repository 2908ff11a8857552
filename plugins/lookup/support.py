# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: support
short_description: What ns.mitogen supports, and whether this controller is inside it
description:
  - Returns one dictionary describing the controller that runs the play, beside the versions ns.mitogen
    supports, with a one-line problem for each unsupported part and a one-line warning for the
    deprecation warning ansible-core prints for third-party strategies.
  - The C(ns.mitogen.setup) role reads it; playbooks may too. It takes no terms and no options, and only
    reads installed package metadata and Ansible's configuration, so it is safe in check mode.
author: ns.mitogen contributors (@ns-mitogen)
version_added: 0.1.0
notes:
  - Like every lookup it runs on the controller.
"""

EXAMPLES = r"""
- name: Stop early when the controller cannot run ns.mitogen
  ansible.builtin.assert:
    that: controller.ready
    fail_msg: "{{ controller.problems | join('; ') }}"
  vars:
    controller: "{{ query('ns.mitogen.support') | first }}"

- name: Show the engine version
  ansible.builtin.debug:
    msg: "mitogen {{ (query('ns.mitogen.support') | first).mitogen }}"
"""

RETURN = r"""
_raw:
  description: One dictionary (use C(query(...) | first)).
  type: list
  elements: dict
  contains:
    ready:
      description: Whether nothing in C(problems) stops ns.mitogen on this controller.
      type: bool
    ansible_core:
      description: The running ansible-core version.
      type: str
    ansible_core_supported:
      description: The ansible-core versions ns.mitogen supports, as a pip specifier.
      type: str
    python:
      description: The controller's Python version.
      type: str
    python_supported:
      description: The controller Python versions supported, as a pip specifier.
      type: str
    mitogen:
      description: The installed version of the Python package C(mitogen), or null when it is missing.
      type: str
    mitogen_supported:
      description: The C(mitogen) versions ns.mitogen supports, as a pip specifier.
      type: str
    collection:
      description: The version of this ns.mitogen collection.
      type: str
    deprecation_warnings:
      description: The C(deprecation_warnings) setting in effect.
      type: bool
    target_python_min:
      description: The lowest target Python version that ansible-core modules support.
      type: str
    problems:
      description: One line per unsupported part, each saying what to do.
      type: list
      elements: str
    warnings:
      description: One line per point that works but deserves attention.
      type: list
      elements: str
"""

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase

from ansible_collections.ns.mitogen.plugins.plugin_utils._support import controller_report_now


class LookupModule(LookupBase):
    """The controller report of plugin_utils._support."""

    def run(self, terms, variables=None, **kwargs):
        if terms or kwargs:
            raise AnsibleError("ns.mitogen.support takes no terms and no options: use query('ns.mitogen.support')")
        return [controller_report_now()]
