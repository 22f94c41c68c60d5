"""The ``nncalc`` app: the Typer app, its error handling, and the commands.

Each command lives in :mod:`nncalc.cli.commands` (its options and the step
it runs) and runs through :mod:`nncalc.cli.pipeline`. Errors of every kind
are turned into one line on stderr and an exit code in :class:`NncalcGroup`.
"""

from __future__ import annotations

import errno
import importlib
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any

import numpy as np
import typer
from typer.core import TyperGroup
from typer.models import CommandInfo

from nncalc import __version__
from nncalc.cli import environment, startup
from nncalc.cli.domains import domain_of
from nncalc.cli.errors import for_cli
from nncalc.errors import CheckFailed, ExitCode, NncalcError, plural
from nncalc.io import progress
from nncalc.io.operands import MissingOperand
from nncalc.io.tokens import protect_negative_literals
from nncalc.output.environment import Environment
from nncalc.output.text import PipeClosed, all_rows_written

# The commands, in the order help lists them. Command ``kl-normal`` is the
# function ``kl_normal`` of the module nncalc/cli/commands/kl_normal.py.
COMMANDS = (
    "softmax",
    "xent",
    "kl",
    "entropy",
    "js",
    "kl-normal",
    "distill",
    "kl-approx",
    "compare",
    "embed-params",
    "sgd",
)
COMPLETE_VAR = "_NNCALC_COMPLETE"


def command_function(name: str) -> Callable[..., None]:
    """The function of command ``name``, its module imported now."""
    attribute = name.replace("-", "_")
    module = importlib.import_module(f"nncalc.cli.commands.{attribute}")
    function: Callable[..., None] = getattr(module, attribute)
    return function


def _fail(message: str) -> None:
    """One line on stderr, if stderr can take it (closed or full, the exit code says it all)."""
    try:
        sys.stderr.write(f"nncalc: error: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        _silence(2)


_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_STREAM_METHODS = frozenset({"write", "flush", "read", "readline", "readinto", "buffer", "fileno"})


def _stream_failure(error: BaseException) -> str | None:
    """What went wrong with stdin/stdout, if ``error`` is an I/O failure of one; else None.

    A closed standard stream is ``None`` in Python: calling a stream method
    on it is an :class:`AttributeError` on ``None``, classified here by the
    method's name. A full disk, an I/O error or a bad descriptor reaching
    this point come from the standard streams (input files report their own).
    """
    if isinstance(error, AttributeError):
        if getattr(error, "obj", 0) is None and error.name in _STREAM_METHODS:
            for name in ("stdout", "stdin"):
                if getattr(sys, name) is None:
                    return f"{name} is closed"
        return None
    if isinstance(error, OSError) and error.errno in _WRITE_ERRNOS:
        return f"cannot write to stdout: {error.strerror}"
    if isinstance(error, OSError) and error.errno in (errno.EIO, errno.EBADF, errno.ENXIO):
        return f"I/O error on a standard stream: {error.strerror}"
    return None


class NncalcGroup(TyperGroup):
    """The app's group: negative literals, one-line errors, exit codes.

    ``main`` takes ``environment=`` (an :class:`Environment`) from tests;
    otherwise the run's environment is that of the process.
    """

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        env = extra.pop("environment", None) or Environment.from_process()
        startup.install(self, domain_of)  # keep pydantic out of start-up; option domains
        self._help_style(env)
        # Always "nncalc" (also under `python -m nncalc` and test runners), so
        # usage lines, help and the completion variable name the real command.
        with environment.running(env):
            code = self._run_guarded(protect_negative_literals(argv), "nncalc", complete_var, extra)
        if not standalone_mode:
            return code
        sys.exit(code)

    def _help_style(self, env: Environment) -> None:
        """Rich help (panels, box drawing) on a terminal only; plain text on a pipe."""
        mode = "rich" if env.stdout_isatty else None
        for command in [self, *self.commands.values()]:
            command.rich_markup_mode = mode  # type: ignore[attr-defined]

    def _run(
        self, args: list[str], prog_name: str, complete_var: str | None, extra: dict[str, Any]
    ) -> int:
        try:
            # Overflow to inf or 0 is handled by the math (and by the checks on
            # results); NumPy's RuntimeWarnings would only be noise on stderr.
            with np.errstate(all="ignore"), progress.shown_until_done(), all_rows_written():
                result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
                if sys.stdout is not None:
                    sys.stdout.flush()
            return result if isinstance(result, int) else ExitCode.OK
        except MissingOperand as error:
            sys.stderr.write(self._usage(args, prog_name))
            _fail(str(error))
            return ExitCode.USAGE
        except NncalcError as error:
            _fail(str(for_cli(error)))
            return ExitCode.USAGE
        except CheckFailed as failure:
            for line in failure.lines:
                sys.stderr.write(f"nncalc: {line}\n")
            return ExitCode.CHECK_FAILED
        except startup.NoArgsIsHelpError as error:
            # `nncalc` alone: the help, as `nncalc --help` shows it (Rich on a
            # terminal has drawn it already), on stdout; exit 2 as Typer does.
            if error.message:
                sys.stdout.write(error.message.rstrip("\n") + "\n")
            return ExitCode.USAGE
        except startup.UsageError as error:
            _fail(_usage_message(error, prog_name))
            return int(error.exit_code)
        except startup.ClickException as error:
            _fail(" ".join(error.format_message().split()))
            return int(error.exit_code)
        except (KeyboardInterrupt, typer.Abort):
            return ExitCode.INTERRUPTED
        except (PipeClosed, BrokenPipeError):
            _silence(1)
            return ExitCode.PIPE_CLOSED
        except MemoryError:
            _fail("out of memory: the input is too large to hold (pass a smaller batch)")
            return ExitCode.USAGE
        except (OSError, AttributeError) as error:
            stream = _stream_failure(error)
            if stream is None:
                raise
            _silence(1)
            _fail(stream)
            return ExitCode.IO_ERROR

    def _run_guarded(
        self, args: list[str], prog_name: str, complete_var: str | None, extra: dict[str, Any]
    ) -> int:
        """:meth:`_run`, with any error it did not expect reported as an internal error."""
        try:
            return self._run(args, prog_name, complete_var, extra)
        except Exception as error:
            _fail(f"internal error: {type(error).__name__}: {error} (please report this)")
            return ExitCode.INTERNAL

    def _usage(self, args: list[str], prog_name: str) -> str:
        """The usage line of the command named in ``args``."""
        root = typer.Context(self, info_name=prog_name)
        for name in args:
            command = self.get_command(root, name)
            if command is not None:
                return command.get_usage(typer.Context(command, info_name=name, parent=root)) + "\n"
        return self.get_usage(root) + "\n"


def _usage_message(error: startup.UsageError, prog_name: str) -> str:
    """A usage error of the parser on one line: what, then the hint in one parenthesis."""
    command = error.ctx.command_path if error.ctx else prog_name
    hint = f"see '{command} --help'"
    possibilities = getattr(error, "possibilities", None)
    if possibilities:
        hint = f"did you mean {' or '.join(sorted(possibilities))}? {hint}"
    # NoSuchOption's own format adds "(Possible options: ...)": its bare message.
    text = error.message if possibilities is not None else error.format_message()
    message = " ".join(text.split()).rstrip(".")
    head, _, guess = message.partition(". Did you mean ")
    if guess:  # "No such command 'kll'. Did you mean 'kl'?"
        message, hint = head, f"did you mean {guess.rstrip('?')}? {hint}"
    extra = re.fullmatch(r"Got unexpected extra argument\S* \((.*)\)", message)
    if extra:
        message = f"{plural(len(extra[1].split()), 'extra operand')}: {extra[1]}"
    needs = re.fullmatch(r"Option '(\S+)' requires an argument", message)
    if needs:
        message = f"{needs[1]}: needs a value"
    return f"{message} ({hint})"


def _silence(fd: int) -> None:
    """After stdout (1) or stderr (2) failed: drop what is still buffered for it."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
    except (OSError, ValueError, AttributeError):
        pass


class NncalcTyper(typer.Typer):
    """The app: imports and builds only the command being run (start-up stays flat).

    Its commands are imported when first listed: all of them for help,
    completion or a test's runner, only the one named for a run.
    """

    def __init__(self, *, commands: Sequence[str], **settings: Any) -> None:
        self.unloaded = list(commands)
        self.order = list(commands)
        self.shown: CommandInfo | None = None
        self.loading = False
        super().__init__(**settings)

    @property
    def registered_commands(self) -> list[CommandInfo]:
        if self.shown is not None:
            return [self.shown]
        if not self.loading:
            self.load(self.unloaded)
        return self.command_infos

    @registered_commands.setter
    def registered_commands(self, commands: list[CommandInfo]) -> None:
        self.command_infos = commands

    def load(self, names: Sequence[str]) -> None:
        """Import and register the commands ``names`` not registered yet."""
        self.loading = True
        try:
            for name in [name for name in names if name in self.unloaded]:
                self.unloaded.remove(name)
                self.command(name)(command_function(name))
        finally:
            self.loading = False
        self.command_infos.sort(key=lambda info: self.order.index(str(info.name)))

    @contextmanager
    def only(self, name: str) -> Iterator[None]:
        """While Typer builds the app, list only command ``name`` (if it is one)."""
        if name not in self.order:
            yield
            return
        self.load([name])
        self.shown = next(info for info in self.command_infos if info.name == name)
        try:
            yield
        finally:
            self.shown = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with startup.only_command(self, sys.argv[1:], COMPLETE_VAR):
            return super().__call__(*args, **kwargs)


app = NncalcTyper(
    commands=COMMANDS,
    cls=NncalcGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Probability math of neural networks: softmax, cross-entropy, KL and friends.",
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"nncalc {__version__}\n")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Probability math of neural networks, from the shell.

    Operands are literal vectors ("0.1,0.2,0.7", "-1 0 1", "[1, 2]"), '-' for
    stdin, or @file.csv; an omitted operand is read from stdin when it is a pipe.
    """
