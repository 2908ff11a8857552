# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names: every spelling of a plugin the engine implements leads to the engine's short name.

Private: not a public API. The engine compares plain strings ("ssh", "sudo");
users write FQCNs (``ansible.builtin.ssh``), legacy names, aliases (``smart``)
and our own plugins' names. ``canonical()`` is the one place that maps them.
"""

from __future__ import annotations

from ansible.playbook.play_context import PlayContext

from ansible_collections.ns.mitogen.plugins.plugin_utils import _engine
from ansible_collections.ns.mitogen.plugins.plugin_utils._state import PlayState

# Names the engine knows by a short name; also used when the named collection is not installed.
ENGINE_ALIASES = {
    "smart": "ssh",
    "ansible.builtin.ssh": "ssh",
    "ansible.builtin.local": "local",
    "ansible.builtin.sudo": "sudo",
    "ansible.builtin.su": "su",
    "community.general.doas": "doas",
    "community.docker.docker": "docker",
    "containers.podman.podman": "podman",
    "containers.podman.buildah": "buildah",
    "kubernetes.core.kubectl": "kubectl",
    "community.general.jail": "jail",
    "community.general.lxc": "lxc",
    "community.general.lxd": "lxd",
    "community.general.machinectl": "machinectl",
    "ns.mitogen.ssh": "ssh",
    "ns.mitogen.local": "local",
    "ns.mitogen.docker": "docker",
    "ns.mitogen.sudo": "sudo",
    "ns.mitogen.su": "su",
    "ns.mitogen.doas": "doas",
}

_PREFIXES = ("ansible.builtin.", "ansible.legacy.")


def resolve(loader, name: str) -> str | None:
    """The FQCN that `name` resolves to in `loader` (redirects followed), or None; cached per play."""
    cache = PlayState.current.resolved
    key = (loader.package, name)
    if key not in cache:
        try:
            found = loader.find_plugin_with_context(name)
            cache[key] = found.resolved_fqcn if found.resolved else None
        except Exception:  # pylint: disable=broad-except  # unresolvable means "not ours"
            cache[key] = None
    return cache[key]


def canonical(name: str, loaders=()) -> str:
    """The name the engine knows `name` by.

    The first of `loaders` that resolves `name` gives its FQCN; an FQCN the engine
    knows becomes its short name ('ansible.builtin.ssh' -> 'ssh'), another one stays
    as it is. A name no loader resolves loses an ansible.builtin./ansible.legacy.
    prefix or becomes its alias ('smart' -> 'ssh').
    """
    for loader in loaders:
        fqcn = resolve(loader, name)
        if fqcn:
            return ENGINE_ALIASES.get(fqcn, fqcn)
    if name in ENGINE_ALIASES:
        return ENGINE_ALIASES[name]
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def is_ours(name) -> bool:
    """Whether connection `name` is one of ns.mitogen's own plugins."""
    return isinstance(name, str) and bool(name) and \
        (resolve(_engine.loaders.connection_loader, name) or name).startswith("ns.mitogen.")


def engine_connection(name) -> str | None:
    """The engine's short name for connection `name` when the engine redirects it, else None."""
    if not isinstance(name, str) or not name or name.startswith("mitogen_") or is_ours(name):
        return None  # the engine's own plugins and ours run as they are
    short = canonical(name, (_engine.loaders.connection_loader,))
    return short if short in _engine.strategy.REDIRECTED_CONNECTION_PLUGINS else None


def _fqcn_connections(original):  # pylint: disable=unused-argument  # replaces the engine's redirect
    def wrap_connection_loader__get_with_context(name, *args, **kwargs):
        short = engine_connection(name)
        if short and args and isinstance(args[0], PlayContext) and engine_connection(args[0].connection) is None \
                and not is_ours(args[0].connection):
            short = None  # as the engine does: only when the play's own connection is redirected
        if not short:
            return _engine.loaders.connection_loader__get_with_context(name, *args, **kwargs)
        found = _engine.loaders.connection_loader__get_with_context("mitogen_" + short, *args, **kwargs)
        if found.object is not None:
            # ansible-core reports the connection's name to callbacks (task.connection) from ansible_name:
            # the name the user's connection resolves to, as under stock Ansible, not the engine's plugin's.
            # The next loop item matches its connection by that name (matches_name): it is an alias too.
            plugin = found.object
            plugin.ansible_name = resolve(_engine.loaders.connection_loader, name) or name
            plugin.ansible_aliases = [plugin.ansible_name] + [
                a for a in (getattr(plugin, "ansible_aliases", None) or []) if a != plugin.ansible_name]
        return found
    return wrap_connection_loader__get_with_context


FQCN_CONNECTIONS = _engine.Patch(
    name="fqcn-connection-names",
    target="ansible_mitogen.strategy.wrap_connection_loader__get_with_context",
    why="Connections named by FQCN or alias (ansible.builtin.ssh, ansible.legacy.ssh, smart, ansible.builtin.local, "
        "community.docker.docker) run through Mitogen and are reported to callbacks by the name they resolve to; "
        "the engine alone silently ran them without it, and named its own plugin (mitogen_local).",
    test="tests/integration/plugins/plugin_utils/test__mitogen.py::test_fqcn_connection_names_run_through_mitogen",
    make=_fqcn_connections,
    shape=("name", "args", "kwargs"),
)


def via_name(templar, via_spec):
    """A mitogen_via value with its templates rendered ('{{ bastion }}' -> 'sudo:root@bastion1')."""
    if templar is not None and isinstance(via_spec, str) and templar.is_possibly_template(via_spec):
        return str(templar.template(via_spec))
    return via_spec


def _templated_via(original):
    def _spec_from_via(self, proxied_inventory_name, via_spec):
        return original(self, proxied_inventory_name, via_name(getattr(self, "templar", None), via_spec))
    return _spec_from_via


TEMPLATED_VIA = _engine.Patch(
    name="mitogen-via-templates",
    target="ansible_mitogen.connection.Connection._spec_from_via",
    why="A mitogen_via given as a template ('{{ bastion }}') is rendered with the task's variables; on "
        "ansible-core 2.19 and later the engine alone failed with 'A required TemplateContext context is not "
        "active'.",
    test="tests/integration/plugins/connection/test_via.py::test_a_templated_mitogen_via",
    make=_templated_via,
    shape=("self", "proxied_inventory_name", "via_spec"),
)
