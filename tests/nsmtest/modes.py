# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ways a run switches the engine on, as the environment of an ansible run.

``MODES`` names them for the benchmark and the demo; ``STOCK``, ``ENGINE``, ``NS``
and ``CALLBACK`` are the ones the tests compare side by side. ``activation_env``
turns a run of an ns.mitogen strategy into the same run under the builtin
strategy with the callback, for the tests that run on both activation paths.
"""

from __future__ import annotations

from pathlib import Path

ACCELERATE = "ns.mitogen.accelerate"

MODES = {
    "stock": "stock linear, ssh pipelining + ControlPersist",
    "stock-nopipe": "stock linear, no pipelining",
    "engine": "engine's mitogen_linear by plugin path",
    "ns-linear": "ns.mitogen.linear",
    "ns-free": "ns.mitogen.free",
    "callback": "builtin linear + ns.mitogen.accelerate",
}


def engine_strategy_dir() -> str:
    """The engine's own strategy plugins, as users of the engine alone point ansible at them."""
    import ansible_mitogen  # pylint: disable=import-outside-toplevel

    return str(Path(ansible_mitogen.__file__).resolve().parent / "plugins" / "strategy")


def mode_env(mode: str) -> dict[str, str]:
    """The environment of an ansible run in `mode` (a key of MODES)."""
    if mode == "stock":
        return {"ANSIBLE_STRATEGY": "linear", "ANSIBLE_PIPELINING": "True"}
    if mode == "stock-nopipe":
        return {"ANSIBLE_STRATEGY": "linear", "ANSIBLE_PIPELINING": "False"}
    if mode == "engine":
        return {"ANSIBLE_STRATEGY_PLUGINS": engine_strategy_dir(), "ANSIBLE_STRATEGY": "mitogen_linear"}
    if mode == "ns-linear":
        return {"ANSIBLE_STRATEGY": "ns.mitogen.linear"}
    if mode == "ns-free":
        return {"ANSIBLE_STRATEGY": "ns.mitogen.free"}
    if mode == "callback":
        return {"ANSIBLE_STRATEGY": "linear", "ANSIBLE_CALLBACKS_ENABLED": ACCELERATE}
    raise KeyError(mode)


STOCK = {"ANSIBLE_STRATEGY": "linear"}  # the tests' stock runs keep the user's pipelining setting
ENGINE = mode_env("engine")
NS = mode_env("ns-linear")
CALLBACK = {"ANSIBLE_STRATEGY": "ansible.builtin.linear", "ANSIBLE_CALLBACKS_ENABLED": ACCELERATE}

# How the integration tests switch ns.mitogen on (tests/integration/plugins/conftest.py runs
# tests on both): "strategy" as each test says, or "callback": ANSIBLE_STRATEGY
# ns.mitogen.<name> becomes ansible.builtin.<name> with ns.mitogen.accelerate enabled.
ACTIVATION_ENV = "NSM_ACTIVATION"
ACTIVATIONS = ("strategy", "callback")


def activation_env(env: dict[str, str]) -> dict[str, str]:
    """env, rewritten for the activation that env[NSM_ACTIVATION] names."""
    strategy = env.get("ANSIBLE_STRATEGY", "")
    if env.get(ACTIVATION_ENV, "strategy") == "callback" and strategy.startswith("ns.mitogen."):
        env["ANSIBLE_STRATEGY"] = "ansible.builtin." + strategy[len("ns.mitogen."):]
        enabled = [c for c in env.get("ANSIBLE_CALLBACKS_ENABLED", "").split(",") if c.strip()]
        env["ANSIBLE_CALLBACKS_ENABLED"] = ",".join(enabled + [ACCELERATE])
    return env
