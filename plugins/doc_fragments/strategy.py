# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every ns.mitogen strategy has in common, for its documentation."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  fork_modules:
    description:
      - Modules that always run in a freshly forked process on the target, beside the engine's own list of
        modules known to leak state. Use it for modules that change process-wide state (environment,
        working directory, signal handlers, global caches) and so must not share the reused interpreter.
      - Names match in any spelling (short, C(ansible.builtin.*), C(ansible.legacy.*), or the FQCN of a
        collection module).
      - The variable takes precedence over the environment, which takes precedence over C(ansible.cfg).
        The variable may be a list or a comma-separated string; the other sources take a comma-separated string.
      - Every task may also ask for a fresh process with the variable C(mitogen_task_isolation=fork).
    type: list
    elements: str
    default: []
    vars:
      - name: mitogen_fork_modules
    env:
      - name: NS_MITOGEN_FORK_MODULES
    ini:
      - section: ns_mitogen
        key: fork_modules
requirements:
  - The Python package C(mitogen) (>= 0.3.54, < 0.4) on the controller, in the environment that runs C(ansible).
notes:
  - >-
    Choose the strategy per play (C(strategy: ns.mitogen.linear)), in C(ansible.cfg)
    (C([defaults] strategy = ns.mitogen.linear)) or with the environment variable
    C(ANSIBLE_STRATEGY=ns.mitogen.linear). Plays under stock strategies and under ns.mitogen
    strategies mix freely in one playbook.
  - >-
    Under this strategy, the C(ssh), C(local) and C(docker) connections (by short name, by
    C(ansible.builtin.*)/C(ansible.legacy.*) name, and C(community.docker.docker)) run through
    Mitogen: one connection per target and account, a persistent Python interpreter on the
    target, modules executed in that interpreter with their code cached in RAM, and no temporary
    files on the target. Other connection plugins run as they would under the stock strategy.
  - >-
    ansible-core 2.19 and later print a deprecation warning for every strategy plugin outside
    C(ansible.builtin), this one included, because ansible-core plans no replacement for third-party
    strategy plugins. The warning does not change what the play does. To silence it, set
    C(deprecation_warnings = False) in C([defaults]) of C(ansible.cfg) (or C(ANSIBLE_DEPRECATION_WARNINGS=False));
    that silences every deprecation warning, so keep it on while upgrading Ansible.
  - >-
    The engine reads these environment variables on the controller: C(MITOGEN_POOL_SIZE)
    (connections set up in parallel, default 32), C(MITOGEN_MAX_INTERPRETERS) (interpreters
    per target, default 20), C(MITOGEN_CPU_COUNT), and C(MITOGEN_PROFILING).
  - >-
    If C(mitogen) is missing or outside the supported range, or ansible-core is unsupported,
    the play stops before any task with one line saying what to install.
seealso:
  - name: Mitogen on PyPI
    description: The engine this strategy runs on.
    link: https://pypi.org/project/mitogen/
"""
