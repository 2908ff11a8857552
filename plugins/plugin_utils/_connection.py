# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the connection plugins ns.mitogen.ssh, local and docker add to the engine's classes.

Private: not a public API. A plugin is written
``class Connection(MitogenConnection, SshConnection)``: the engine's class
(from the engine boundary) with our options, a warning for options the engine
does not use, and one line when no play runs over Mitogen.
"""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.utils.display import Display

from ansible_collections.ns.mitogen.plugins.plugin_utils import _engine

# Options of our plugins that the engine does not honour (documented as such).
NOT_APPLICABLE = {
    "ssh": ("password_mechanism", "sshpass_prompt", "private_key", "private_key_passphrase", "pipelining",
            "reconnection_retries", "control_path", "control_path_dir", "ssh_transfer_method", "scp_executable",
            "scp_extra_args", "sftp_executable", "sftp_extra_args", "sftp_batch_mode", "use_tty", "pkcs11_provider"),
    "local": (),
    "docker": ("docker_extra_args", "extra_env", "working_dir", "privileged"),
}


def strategy_needed_message(kind: str) -> str:
    return ("ns.mitogen.%s runs only over Mitogen: set strategy: ns.mitogen.linear "
            "(or ns.mitogen.free, ns.mitogen.host_pinned) on the play, in ansible.cfg or with ANSIBLE_STRATEGY, "
            "or enable the callback ns.mitogen.accelerate (callbacks_enabled in ansible.cfg), "
            "or use the stock %s connection" % (kind, "community.docker.docker" if kind == "docker" else kind))


def ignored_options(plugin, kind: str) -> list[str]:
    """The not-applicable options that the user set explicitly (not left at their default)."""
    found = []
    for name in NOT_APPLICABLE[kind]:
        try:
            _value, origin = plugin.get_option_and_origin(name)
        except KeyError:
            continue
        if origin and origin != "default":
            found.append("%s (from %s)" % (name, origin))
    return found


class MitogenConnection:
    """Mix-in over one of the engine's connection classes; `ns_mitogen_kind` names the plugin."""

    ns_mitogen_kind = ""

    def __init__(self, *args, **kwargs):
        _engine.check_controller()
        super().__init__(*args, **kwargs)

    def set_options(self, task_keys=None, var_options=None, direct=None):
        super().set_options(task_keys=task_keys, var_options=var_options, direct=direct)
        found = ignored_options(self, self.ns_mitogen_kind)
        if found:
            # The controller shows a given warning once per run.
            Display().warning("ns.mitogen.%s does not use these options, which are set: %s"
                              % (self.ns_mitogen_kind, ", ".join(found)))

    def _connect(self):
        if not _engine.engine_running():
            raise AnsibleError(strategy_needed_message(self.ns_mitogen_kind))
        return super()._connect()
