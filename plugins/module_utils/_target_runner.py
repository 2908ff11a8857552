# Copyright (c) ns.mitogen contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ns.mitogen runs inside the engine's interpreters on targets.

Private: not a public API, and not for modules to import. The engine serves this
file to its target interpreters as it serves any module it calls; the
controller's patch ``module-failures-as-stock`` (``plugin_utils/_runner.py``)
makes the engine call ``run_module`` here in place of its own
``ansible_mitogen.target.run_module``.

It runs the module with the engine's own runner classes, taken from the
interpreter the engine set up (this file imports nothing of the engine), and
changes one thing: a new-style module that raises an exception, or returns
without exiting, is reported as ansible-core's module wrapper reports it (a
JSON result with ``failed`` and the exception, exit status 1), where the engine
alone printed a traceback that the controller could not read.
"""

from __future__ import annotations

import importlib
import sys

ENGINE_RUNNER = "ansible_mitogen.runner"  # the engine's runner classes, loaded in every interpreter it starts
NO_EXIT = "New-style module did not handle its own exit."  # ansible-core's words


def _report_as_stock(exception):
    """Print the failure result ansible-core's module wrapper prints for `exception`, and exit 1."""
    # pylint: disable=import-outside-toplevel  # imported where the module's own module_utils are served
    from ansible.module_utils import basic
    from ansible.module_utils._internal._ansiballz import _loader

    # The engine runs every module with the "legacy" profile (its NewStyleStdio); so does this.
    profile = basic._ANSIBLE_PROFILE or "legacy"  # pylint: disable=protected-access
    _loader._handle_exception(exception, profile)  # pylint: disable=protected-access


def _reporting(run_code):
    """The engine's run of a module's code, with its exceptions reported as ansible-core reports them."""
    def run_code_reporting(code, mod):
        try:
            run_code(code, mod)
        except Exception as exc:  # pylint: disable=broad-except  # SystemExit is the module's own exit
            _report_as_stock(exc)
        _report_as_stock(RuntimeError(NO_EXIT))
    return run_code_reporting


def run_module(kwargs, econtext):
    """Run one module as ``ansible_mitogen.target.run_module`` does, reporting failures as ansible-core."""
    runner = sys.modules.get(ENGINE_RUNNER) or importlib.import_module(ENGINE_RUNNER)
    klass = getattr(runner, kwargs.pop("runner_name"))
    impl = klass(econtext=econtext, **kwargs)
    if isinstance(impl, runner.NewStyleRunner):
        impl._run_code = _reporting(impl._run_code)  # pylint: disable=protected-access
    return impl.run()


run_module.mitogen_takes_econtext = True  # the engine passes its ExternalContext, as to its own run_module
