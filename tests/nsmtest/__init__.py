# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the tests, the benchmark and the demo share: the lab, the modes, ansible runs, virtualenvs, gates.

Importable as ``nsmtest`` with ``tests/`` on the Python path: pytest puts it there
(``pythonpath`` in pytest.ini), ``./run`` sets PYTHONPATH for what it starts, and
``python_env()`` does the same for a subprocess.

* ``nsmtest.lab``: the lab of real targets (``python -m nsmtest.lab up|down|...``);
* ``nsmtest.modes``: the ways a run switches the engine on (stock, the engine by path, ns.mitogen, callback);
* ``nsmtest.ansible_run``: ansible-playbook runs with results parsed;
* ``nsmtest.venv``: the one builder of cached virtualenvs;
* ``nsmtest.gates``: what ``./run test`` computes (counts, collections from the ansible wheel, the lab's status);
* ``nsmtest.fixtures``: the pytest fixture of the lab, shared by the integration and the parity tests;
* ``nsmtest.parity``: the differential harness (a playbook under stock Ansible and under ns.mitogen, compared);
* ``nsmtest.corpus``: ansible-core's own integration targets, run with ansible-test against the lab;
* ``nsmtest.docs``: the guides' generated regions, checked or rewritten.
"""

from __future__ import annotations

import os
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent


def python_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """`env` (default: this process's) with tests/ on PYTHONPATH, for a Python subprocess that imports nsmtest."""
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env
