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

The controller's patch ``async-jobs-as-stock`` makes the engine call
``run_module_async`` here for async tasks: the job runs as ansible-core's
``async_wrapper`` runs it, with its job id, job file records and time limit.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import shutil
import signal
import sys
import traceback
import types

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


@contextlib.contextmanager
def open_file_limit(rlimit_nofile):
    """The open-file soft limit set as ansible-core's module wrapper sets it, then the interpreter's own again.

    `rlimit_nofile` is the controller's ``PYTHON_MODULE_RLIMIT_NOFILE``; 0 leaves
    the limit alone. As the wrapper does, the value is capped by the hard limit,
    and a platform that refuses it keeps its limit.
    """
    if not rlimit_nofile:
        yield
        return
    import resource  # pylint: disable=import-outside-toplevel  # as the wrapper: only when a limit is asked for

    existing_soft, existing_hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    requested_soft = min(existing_hard, rlimit_nofile)  # the wrapper's words
    changed = False
    if requested_soft != existing_soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (requested_soft, existing_hard))
            changed = True
        except ValueError:  # some platforms (eg macOS) lie about their hard limit
            pass
    try:
        yield
    finally:
        if changed:  # the interpreter runs the next module: it gets its own limit back
            resource.setrlimit(resource.RLIMIT_NOFILE, (existing_soft, existing_hard))


def _limited(run, rlimit_nofile):
    """The runner's run of the module, under the open-file limit ansible-core's module wrapper sets."""
    def run_limited():
        with open_file_limit(rlimit_nofile):
            return run()
    return run_limited


START_DIR = None  # the directory this interpreter started in: its login's (see init_child)


def _current_dir():
    try:
        return os.getcwd()
    except OSError:  # removed
        return None


def enter(directory):
    """Make `directory` the working directory (unless it is already); whether it is now."""
    if not directory:
        return False
    if _current_dir() == directory:
        return True  # even when this user may not enter it again: a login's directory is inherited, not entered
    try:
        os.chdir(directory)
    except OSError:
        return False
    return True


def _working_dirs(impl):
    """The runner's own setup and revert of the working directory, replaced.

    A module runs where a login shell's command runs under ansible-core: in the
    directory the controller names (the local connection's playbook directory),
    else in this interpreter's starting directory. When that cannot be entered
    again (a become user may not enter the login user's home, and a module left
    it), it runs in the user's home; the engine's temporary directory comes last.
    After the module the interpreter waits in its starting directory: the
    interpreters it starts (become) start there, and its commands (raw, the
    action's own) run there, as in a login shell.
    """
    def setup_cwd():
        any(enter(d) for d in (impl.cwd, START_DIR, os.path.expanduser("~"), impl.good_temp_dir))

    def revert_cwd():
        any(enter(d) for d in (START_DIR, os.path.expanduser("~"), impl.good_temp_dir))
    return setup_cwd, revert_cwd


def _with_profile(setup, profile):
    """The runner's setup, then the module's serialization profile in place of the engine's "legacy"."""
    def setup_with_profile():
        setup()
        sys.modules["ansible.module_utils.basic"]._ANSIBLE_PROFILE = profile  # pylint: disable=protected-access
    return setup_with_profile


SHIPPED_MODULE_UTILS = "ansible.module_utils."  # what a module_utils directory can override


def _own_module_utils(impl):
    """The runner's setup and revert, with the module's own module_utils imported afresh.

    A module_utils directory (ANSIBLE_MODULE_UTILS, a playbook's or a role's) may
    override one that ansible-core ships, as in ansible-core's payload. This
    interpreter may have imported ansible-core's already (json_utils, for one):
    the module imports the override instead, and afterwards this interpreter has
    ansible-core's back.
    """
    setup, revert = impl.setup, impl.revert
    hidden = {}

    def setup_own():
        for fullname, _path, _is_pkg in impl.module_map.get("custom", ()):
            if fullname.startswith(SHIPPED_MODULE_UTILS) and fullname in sys.modules:
                hidden[fullname] = sys.modules.pop(fullname)
        setup()

    def revert_own():
        try:
            revert()
        finally:
            sys.modules.update(hidden)
            hidden.clear()
    return setup_own, revert_own


def _module_runner(kwargs, econtext):
    """The engine's runner of one module, with failures reported as ansible-core reports them, in the working
    directory and under the open-file limit ansible-core's modules have."""
    runner = sys.modules.get(ENGINE_RUNNER) or importlib.import_module(ENGINE_RUNNER)
    klass = getattr(runner, kwargs.pop("runner_name"))
    rlimit_nofile = kwargs.pop("rlimit_nofile", 0)  # from the controller's patch module-rlimit-nofile
    login_dir = kwargs.pop("login_dir", False)  # from the controller's patch module-working-directory
    profile = kwargs.pop("profile", None)  # from the controller's patch module-arguments-as-stock
    impl = klass(econtext=econtext, **kwargs)
    # pylint: disable=protected-access  # the engine's runner, changed for this run only
    if login_dir:
        impl._setup_cwd, impl._revert_cwd = _working_dirs(impl)
    if isinstance(impl, runner.NewStyleRunner):
        impl._run_code = _reporting(impl._run_code)
        impl._run = _limited(impl._run, rlimit_nofile)
        impl.setup, impl.revert = _own_module_utils(impl)
        if profile:
            impl.setup = _with_profile(impl.setup, profile)
    return impl


ENGINE_TARGET = "ansible_mitogen.target"  # the engine's target-side entry points

# The connection method that runs a become plugin's own command (_target_become): the engine finds a method by
# the module name mitogen.<method>, and imports that module wherever a step is started from.
BECOME_COMMAND_METHOD = "ns_mitogen_become_command"
BECOME_COMMAND_CODE = "ansible_collections.ns.mitogen.plugins.module_utils._target_become"


def _become_command_attribute(name):
    if name != "Connection":
        raise AttributeError(name)
    return importlib.import_module(BECOME_COMMAND_CODE).connection_class()


def register_become_command():
    """Make the engine's name of the become-command method lead to _target_become (imported when first used)."""
    name = "mitogen." + BECOME_COMMAND_METHOD
    if name not in sys.modules:
        module = types.ModuleType(name, "ns.mitogen: a become plugin's own command (see %s)" % BECOME_COMMAND_CODE)
        module.__getattr__ = _become_command_attribute  # PEP 562: looked up when the engine asks for Connection
        sys.modules[name] = module


def init_child(econtext, log_level, candidate_temp_dirs):
    """The engine's ``init_child``, called from here: this module is then loaded before the engine forks.

    The engine calls ``init_child`` first in every interpreter it starts; there it
    forks the parent of the interpreters it forks later (async jobs, isolated and
    delegated tasks). Those inherit this module instead of each fetching it.
    """
    global START_DIR  # pylint: disable=global-statement
    # Before anything runs here: the directory a login shell's commands run in (the login user's home over ssh;
    # under become, the directory the login's interpreter waits in, inherited as sudo and su inherit it).
    START_DIR = _current_dir()
    register_become_command()  # become steps started from this interpreter may use it
    target = sys.modules.get(ENGINE_TARGET) or importlib.import_module(ENGINE_TARGET)
    return target.init_child(econtext, log_level, candidate_temp_dirs)


init_child.mitogen_takes_econtext = True  # as the engine's own init_child


def run_module(kwargs, econtext):
    """Run one module as ``ansible_mitogen.target.run_module`` does, reporting failures as ansible-core."""
    return _module_runner(kwargs, econtext).run()


run_module.mitogen_takes_econtext = True  # the engine passes its ExternalContext, as to its own run_module


# ------------------------------------------------------------------ async jobs, as ansible-core's async_wrapper

DEFAULT_ASYNC_DIR = "~/.ansible_async"  # ansible-core's default of the shell option async_dir
TIMEOUT_MSG = "Timeout exceeded"  # ansible-core's words


def async_dir(kwargs, async_dir_option=None, environ=None):
    """The job directory, expanded here: the controller's async_dir, else ANSIBLE_ASYNC_DIR, else the default."""
    environ = os.environ if environ is None else environ
    chosen = async_dir_option or (kwargs.get("env") or {}).get("ANSIBLE_ASYNC_DIR") or \
        environ.get("ANSIBLE_ASYNC_DIR") or DEFAULT_ASYNC_DIR
    return os.path.expanduser(chosen)


def start_result(jid, path):
    """What async_wrapper prints when it has started the job `jid` writing to `path`."""
    return {"failed": False, "started": True, "finished": False, "ansible_job_id": jid, "results_file": path,
            "_ansible_suppress_tmpdir_delete": True}


def started_record(jid):
    """The job file's first record."""
    return {"started": True, "finished": False, "ansible_job_id": jid}


def timeout_record(pid):
    """The job file's record when the job reached its time limit and its process group `pid` was killed."""
    return {"msg": TIMEOUT_MSG, "failed": True, "child_pid": pid}


def job_record(jid, outdata, stderr):
    """The job file's last record: the module's output read as async_wrapper reads it."""
    # pylint: disable=import-outside-toplevel  # served by the engine where the module runs
    from ansible.module_utils.json_utils import _filter_non_json_lines

    try:
        filtered, json_warnings = _filter_non_json_lines(outdata)
        result = json.loads(filtered)
        if json_warnings:
            module_warnings = result.get("warnings", [])
            if not isinstance(module_warnings, list):
                module_warnings = [module_warnings]
            module_warnings.extend(json_warnings)
            result["warnings"] = module_warnings
        if stderr:
            result["stderr"] = stderr
    except Exception:  # pylint: disable=broad-except  # async_wrapper's record of output it cannot read
        result = {"failed": True, "data": outdata, "stderr": stderr, "msg": traceback.format_exc(),
                  "ansible_job_id": jid}
    return result


def write_record(path, record):
    """Replace the job file at `path` with `record`, as async_wrapper does (write aside, then rename)."""
    temporary = path + ".tmp"
    with open(temporary, "w") as job_file:
        job_file.write(json.dumps(record))
    os.rename(temporary, path)


def _preload():
    """Import now what reporting a failure and reading the result need after the job detaches.

    A detached job can no longer import from the controller: an import it had not made hangs it until its time
    limit. Reporting a failure once, into nothing, makes every import that path makes (some are lazy).
    """
    try:
        # pylint: disable=import-outside-toplevel,unused-import  # where the engine serves ansible.module_utils
        from ansible.module_utils import json_utils  # noqa: F401

        with contextlib.redirect_stdout(io.StringIO()):
            _report_as_stock(RuntimeError(NO_EXIT))
    except SystemExit:
        pass
    except Exception:  # pylint: disable=broad-except  # the job runs all the same
        pass


def kill_group_but_self(pgid):
    """SIGKILL every process of the process group `pgid` but this one (where /proc lists processes)."""
    me = os.getpid()
    try:
        pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return  # no /proc: the group is killed whole afterwards
    for other in pids:
        try:
            if other != me and os.getpgid(other) == pgid:
                os.kill(other, signal.SIGKILL)
        except OSError:
            pass


class _Job:
    """One async job in this (forked, soon detached) interpreter: its id, job file and module runner."""

    def __init__(self, jid, path):
        self.jid = jid
        self.path = path
        self.runner = None

    def on_time_limit(self, signum, frame):  # pylint: disable=unused-argument
        """SIGALRM: kill what the job started, record the timeout, remove the runner's directory, end the job.

        As async_wrapper does, the job's commands are killed before the record says so: whoever reads the record
        finds them gone.
        """
        pid = os.getpid()
        # The engine's detach() made the job a session and process group leader before the module ran; until
        # then nothing of the job runs beside this process, and its group is the interpreter's: spare it.
        leader = os.getpgid(0) == pid
        try:
            if leader:
                kill_group_but_self(pid)
            write_record(self.path, timeout_record(pid))
            temp_dir = getattr(self.runner, "_temp_dir", None)  # the directory the runner made for this job
            if temp_dir:
                shutil.rmtree(temp_dir, True)
        finally:
            if leader:
                os.killpg(pid, signal.SIGKILL)
            os.kill(pid, signal.SIGKILL)

    def run(self, kwargs, econtext, timeout_secs):
        """Run the module as run_module does, detached, within the time limit; write its record."""
        if timeout_secs > 0:
            signal.signal(signal.SIGALRM, self.on_time_limit)
            signal.alarm(timeout_secs)
        try:
            _preload()
            self.runner = _module_runner(dict(kwargs, detach=True, emulate_tty=False), econtext)
            result = self.runner.run()
            signal.alarm(0)
            record = job_record(self.jid, result.get("stdout") or "", result.get("stderr") or "")
        except Exception:  # pylint: disable=broad-except  # the runner failed: async_wrapper's record of a failure
            signal.alarm(0)
            record = {"failed": True, "msg": traceback.format_exc(), "ansible_job_id": self.jid}
        write_record(self.path, record)


def run_module_async(kwargs, job_prefix, async_dir_option, timeout_secs, started_sender, econtext):
    """Run one module as an async job, as ansible-core's async_wrapper does.

    The job id is `job_prefix` and this process's id. Once the job file holds its
    first record, the result async_wrapper prints when it starts goes to
    `started_sender`; the engine's runner then detaches this process (a new
    session) and runs the module. When the job outlives `timeout_secs`, its
    process group is killed and the job file says so.
    """
    try:
        jid = "%s.%d" % (job_prefix, os.getpid())
        directory = async_dir(kwargs, async_dir_option)
        try:
            os.makedirs(directory, exist_ok=True)
        except Exception as exc:  # pylint: disable=broad-except  # async_wrapper's words
            started_sender.send({"failed": True, "msg": "could not create directory: %s - %s" % (directory, exc),
                                 "exception": traceback.format_exc()})
            return
        job = _Job(jid, os.path.join(directory, jid))
        try:
            write_record(job.path, started_record(jid))
        except Exception as exc:  # pylint: disable=broad-except  # async_wrapper's words
            started_sender.send({"failed": True, "msg": "FATAL ERROR: %s" % exc})
            return
        started_sender.send(start_result(jid, job.path))
        job.run(kwargs, econtext, timeout_secs)
    finally:
        econtext.broker.shutdown()  # the job's interpreter ends with its job, as the engine's AsyncRunner ends it


run_module_async.mitogen_takes_econtext = True
