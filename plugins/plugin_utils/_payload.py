# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A module's payload as ansible-core builds it: its arguments, its serialization profile, its checks.

Private: not a public API. ansible-core builds every Python module into a
payload before it runs it (``module_common.modify_module``): it encodes the
arguments with the module's serialization profile, reads the result back with
the same profile, and while it collects the module's ``module_utils`` and
embedded resources it fails a task whose module imports one that does not
exist or asks for a resource in a way it does not allow. The engine builds no
payload. These patches do what ansible-core does, with ansible-core's own code:

* the arguments are encoded as ansible-core encodes them for the module, and
  the module runs with its profile (``module-arguments-as-stock``);
* the result is read with that profile (``module-result-profile``);
* ansible-core's own payload walk runs when its verdict can differ from the
  module's own run: before a module that uses ``EmbedManager`` runs
  (``module-embed-checks``), and after a module failed to import a
  ``module_utils`` (``missing-module-utils-as-stock``).
"""

from __future__ import annotations

import ast
import datetime
import json
import os
import re

from ansible import constants as C

from ansible_collections.ns.mitogen.plugins.plugin_utils import _engine
from ansible_collections.ns.mitogen.plugins.plugin_utils._state import PlayState

LEGACY = "legacy"


# ------------------------------------------------------------------ the serialization profile

def serialization_profile(source: bytes) -> str:
    """The serialization profile a Python module's source declares, as ansible-core reads it.

    ansible-core reads a module's ``METADATA`` only when its experimental
    setting ``_MODULE_METADATA`` is on; otherwise every module is "legacy".
    """
    try:
        if not C.config.get_config_value("_MODULE_METADATA"):
            return LEGACY
        from ansible.executor.module_common import _get_module_metadata  # pylint: disable=import-outside-toplevel
    except (KeyError, ImportError, AttributeError):  # an ansible-core without module metadata
        return LEGACY
    return _get_module_metadata(ast.parse(source)).serialization_profile


def encoded_arguments(args: dict, profile: str) -> dict:
    """`args` as ansible-core encodes them for a module of `profile`, decoded into plain JSON values.

    The engine sends them as plain JSON: under the "legacy" profile dates and
    times become ISO strings as under ansible-core (the engine alone failed on
    them); under "modern" they keep their type markers, which the module's own
    decoder reads.
    """
    # pylint: disable=import-outside-toplevel  # ansible-core's own encoders, as modify_module uses them
    from ansible.module_utils.common.json import Direction, get_module_encoder

    encoder = get_module_encoder(profile, Direction.CONTROLLER_TO_MODULE)
    return json.loads(json.dumps(args, cls=encoder))


def _arguments_as_stock(original):
    def get_kwargs(self, **kwargs):
        invocation = self._inv  # pylint: disable=protected-access
        profile = LEGACY
        if isinstance(self, _engine.planner.NewStylePlanner):
            profile = serialization_profile(invocation.get_module_source())
        PlayState.current.profiles[invocation.action] = profile
        args = invocation.module_args
        invocation.module_args = encoded_arguments(args, profile)
        try:
            planned = original(self, **kwargs)
        finally:
            invocation.module_args = args
        if profile != LEGACY:
            planned["profile"] = profile  # taken by the target runner (_target_runner._module_runner)
        return planned
    return get_kwargs


ARGUMENTS = _engine.Patch(
    name="module-arguments-as-stock",
    target="ansible_mitogen.planner.BinaryPlanner.get_kwargs",
    why="A module's arguments are encoded as ansible-core encodes them, with the module's serialization profile: "
        "dates and times reach a module as ISO strings, or as dates and times for a module of the modern profile; "
        "the engine failed the task ('Object of type date is not JSON serializable').",
    test="tests/parity/cases/module_arguments.yml",
    make=_arguments_as_stock,
    shape=("self", "kwargs"),
)


def _result_with_profile(original):
    def postprocess(self, result):
        profile = PlayState.current.profiles.get(self, LEGACY)
        if profile == LEGACY:
            return original(self, result)
        parse = self._parse_returned_data  # pylint: disable=protected-access
        # The engine reads every result as "legacy"; for this call it reads with the module's profile.
        self._parse_returned_data = lambda res, profile=LEGACY: parse(res, profile=PlayState.current.profiles[self])
        try:
            return original(self, result)
        finally:
            del self._parse_returned_data
    return postprocess


RESULT = _engine.Patch(
    name="module-result-profile",
    target="ansible_mitogen.mixins.ActionModuleMixin._postprocess_response",
    why="A module of ansible-core's modern serialization profile returns dates and times as such, as under "
        "ansible-core; the engine read every result with the legacy profile.",
    test="tests/parity/cases/module_arguments.yml",
    make=_result_with_profile,
    shape=("self", "result"),
)


# ------------------------------------------------------------------ ansible-core's checks of the payload

_EMBED = re.compile(rb"\bansible\.module_utils\.embed\b|\bEmbedManager\b")
_MISSING_IMPORT = re.compile(r"No module named '(ansible\.module_utils\.|ansible_collections\.)")


class _Discard:
    """A zip file that keeps nothing: ansible-core's payload walk writes into it."""

    compression = 0

    def writestr(self, *args, **kwargs):
        pass


def check_payload(module_name: str, path: str, source: bytes, zip_file=None) -> None:
    """Walk the module's payload as ansible-core builds it; its AnsibleError, as it words it, if it would fail."""
    # pylint: disable=import-outside-toplevel,protected-access  # ansible-core's own builder, as modify_module uses it
    from ansible._internal._ansiballz import _builder
    from ansible._internal._datatag._tags import Origin
    from ansible.executor import module_common

    try:
        fqn = module_common._get_ansible_module_fqn(path)
    except ValueError:  # a module of a role or a library directory: ansible-core's own fallback
        fqn = "ansible.legacy.%s" % module_name
    module_common.recursive_finder(module_name, fqn, Origin(path=path).tag(source), zip_file or _Discard(),
                                   datetime.datetime.now(datetime.timezone.utc), _builder.ExtensionManager())


def failed_import(stdout: str) -> bool:
    """Whether a module's output is a failure to import an ansible.module_utils or collection module_utils."""
    try:
        result = json.loads(stdout)
    except (TypeError, ValueError):
        return False
    if not isinstance(result, dict) or not result.get("failed"):
        return False
    # The message is the result's msg, or its exception's (ansible-core 2.21 reports a module's exception so).
    return bool(_MISSING_IMPORT.search(json.dumps([result.get("msg"), result.get("exception")])))


def _read(path: str) -> bytes:
    with open(path, "rb") as module_file:
        return module_file.read()


def _with_payload_checks(original):
    def invoke(invocation):
        path = _engine.loaders.module_loader.find_plugin(invocation.module_name, "")
        if path and path.endswith(".py"):
            PlayState.current.payloads[invocation.action] = (invocation.module_name, path)
            source = _read(path)
            if _EMBED.search(source):
                check_payload(invocation.module_name, path, source)
        else:
            PlayState.current.payloads.pop(invocation.action, None)
        return original(invocation)
    return invoke


PAYLOAD_CHECKS = _engine.Patch(
    name="module-embed-checks",
    target="ansible_mitogen.planner.invoke",
    why="A module whose EmbedManager request ansible-core refuses fails with ansible-core's message before it runs; "
        "the engine ran it, and it failed with another message or did not fail.",
    test="tests/parity/cases/module_payload.yml",
    make=_with_payload_checks,
    shape=("invocation",),
)


def _with_import_check(original):
    def postprocess(self, result):
        payload = PlayState.current.payloads.get(self)
        if payload and isinstance(result, dict) and failed_import(result.get("stdout")):
            name, path = payload
            check_payload(name, path, _read(path))  # raises ansible-core's message
        return original(self, result)
    return postprocess


IMPORT_CHECK = _engine.Patch(
    name="missing-module-utils-as-stock",
    target="ansible_mitogen.mixins.ActionModuleMixin._postprocess_response",
    why="A module that imports a module_utils that does not exist fails with ansible-core's 'Could not find "
        "imported module support code for ...'; the engine's run said Python's 'No module named ...'.",
    test="tests/parity/cases/module_payload.yml",
    make=_with_import_check,
    shape=("self", "result"),
)


# ------------------------------------------------------------------ which modules are Python modules, and what they import

def _new_style_marker(original):
    # pylint: disable=import-outside-toplevel  # ansible-core's own test of a new-style Python module
    from ansible.executor.module_common import NEW_STYLE_PYTHON_MODULE_RE

    return re.compile(b"(?:%s)|(?:%s)" % (original.pattern, NEW_STYLE_PYTHON_MODULE_RE.pattern))


NEW_STYLE = _engine.Patch(
    name="new-style-modules-as-stock",
    target="ansible_mitogen.planner.NewStylePlanner.MARKER",
    why="A Python module is run as one (with AnsibleModule's arguments, in the interpreter) wherever ansible-core "
        "takes it for one: also when it imports module_utils relatively (from ..module_utils.x import y), with "
        "'from ansible.module_utils import x' or 'import ansible.module_utils.x'; the engine ran such a module as a "
        "script, which failed.",
    test="tests/parity/cases/module_payload.yml",
    make=_new_style_marker,
    shape=re.Pattern,
)

_RELATIVE_IMPORT = re.compile(rb"from +\.{2,} *module_utils")


class _Record(_Discard):
    """A zip file that keeps the name and the origin of each file ansible-core's payload walk writes."""

    def __init__(self):
        self.files: list[tuple[str, str | None]] = []

    def writestr(self, zinfo, data, *args, **kwargs):
        from ansible._internal._datatag._tags import Origin  # pylint: disable=import-outside-toplevel

        origin = Origin.get_tag(data)
        self.files.append((zinfo.filename, origin.path if origin else None))


def payload_module_utils(module_name: str, path: str, source: bytes, builtin_dir: str) -> list[tuple[str, str, bool]]:
    """The module_utils outside ansible-core that ansible-core puts in the module's payload: (name, path, is package)."""
    record = _Record()
    check_payload(module_name, path, source, record)
    found = []
    builtin_dir = os.path.join(os.path.abspath(builtin_dir), "")
    for filename, origin in record.files:
        if not origin or not filename.endswith(".py") or os.path.abspath(origin).startswith(builtin_dir):
            continue
        is_pkg = filename.endswith("/__init__.py")
        name = (filename[:-len("/__init__.py")] if is_pkg else filename[:-len(".py")]).replace("/", ".")
        found.append((name, origin, is_pkg))
    return sorted(found)


def _with_relative_imports(original):
    def get_module_map(self):
        module_map = original(self)
        invocation = self._inv  # pylint: disable=protected-access
        state = PlayState.current
        if self in state.relative_done or not _RELATIVE_IMPORT.search(invocation.get_module_source()):
            return module_map
        state.relative_done.add(self)
        from ansible.executor import module_common  # pylint: disable=import-outside-toplevel

        known = {name for name, _path, _is_pkg in module_map["custom"]}
        extra = [entry for entry in payload_module_utils(invocation.module_name, invocation.module_path,
                                                         invocation.get_module_source(),
                                                         module_common._MODULE_UTILS_PATH)  # pylint: disable=protected-access
                 if entry[0] not in known]
        if extra:
            module_map = dict(module_map, custom=list(module_map["custom"]) + extra)
            self._module_map = module_map  # pylint: disable=protected-access
        return module_map
    return get_module_map


RELATIVE_IMPORTS = _engine.Patch(
    name="relative-module-utils-imports",
    target="ansible_mitogen.planner.NewStylePlanner.get_module_map",
    why="A module of a role or a library directory that imports its module_utils relatively "
        "(from ..module_utils.x import y) gets them, as ansible-core puts them in its payload; the engine looked only "
        "for absolute imports, and the module failed to import them.",
    test="tests/parity/cases/module_payload.yml",
    make=_with_relative_imports,
    shape=("self",),
)
