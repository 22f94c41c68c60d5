"""The completion scripts in completions/ complete in real bash, zsh and fish.

Each shell loads the committed script the way the README says to install it
and completes a command name, an option of a command, a ``--format``
value and file names after an ``@``; the scripts call the installed
``nncalc`` back. bash runs its
completion function as it would on <Tab>; fish answers ``complete -C``; zsh
is driven on a pseudo-terminal, with real <Tab> key presses, and reports its
edited command line. ``nncalc --install-completion`` is checked in each shell
too. A shell that is not installed is skipped with the reason (``.ci/run``
installs zsh and fish with apt-get where it can).
"""

from __future__ import annotations

import os
import select
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.commands import COMMANDS
from tests.conftest import BIN, ROOT, nncalc_path

pytestmark = pytest.mark.slow  # real bash, zsh and fish

COMPLETIONS = ROOT / "completions"
FORMATS = ["auto", "table", "plain", "csv", "json"]


def shell(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (.ci/run installs it with apt-get where it can)")
    nncalc_path()
    return path


def shell_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "ZDOTDIR"))}
    env.update(HOME=str(home), TERM="xterm", PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    return env


def run_shell(argv: list[str], home: Path, script: str = "") -> str:
    result = subprocess.run(
        [*argv, script] if script else argv,
        capture_output=True,
        text=True,
        env=shell_env(home),
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, (argv, result.stdout, result.stderr)
    return result.stdout


# --- bash ------------------------------------------------------------------------


def bash_complete(line: str, home: Path, setup: str) -> list[str]:
    """COMPREPLY for ``line`` (completing its last word), as bash computes it on <Tab>."""
    words = shlex.split(line) + ([""] if line.endswith(" ") else [])
    script = f"""
{setup}
COMP_WORDS=({" ".join(shlex.quote(w) for w in words)})
COMP_CWORD={len(words) - 1}
COMP_LINE={shlex.quote(line)}
COMP_POINT=${{#COMP_LINE}}
function=$(complete -p nncalc | sed -e 's/.* -F \\([^ ]*\\) .*/\\1/')
"$function" nncalc {shlex.quote(words[-1])} {shlex.quote(words[-2])}
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    output = run_shell([shell("bash"), "--norc", "--noprofile", "-c"], home, script)
    return [word for word in output.splitlines() if word]


def test_bash_completes_commands_options_and_format_values(tmp_path: Path) -> None:
    setup = f"source {COMPLETIONS / 'nncalc.bash'}"
    assert bash_complete("nncalc so", tmp_path, setup) == ["softmax"]
    assert set(bash_complete("nncalc ", tmp_path, setup)) == set(COMMANDS)
    kl_family = sorted(name for name in COMMANDS if name.startswith("kl-"))
    assert sorted(bash_complete("nncalc kl-", tmp_path, setup)) == kl_family
    assert bash_complete("nncalc kl --fo", tmp_path, setup) == ["--format"]
    assert bash_complete("nncalc kl --format ", tmp_path, setup) == FORMATS
    assert bash_complete("nncalc softmax -f j", tmp_path, setup) == ["json"]


def test_bash_registers_the_completion_function(tmp_path: Path) -> None:
    script = f"source {COMPLETIONS / 'nncalc.bash'}; complete -p nncalc"
    output = run_shell([shell("bash"), "--norc", "--noprofile", "-c"], tmp_path, script)
    assert output == "complete -o default -F _nncalc_completion nncalc\n"


def test_install_completion_in_bash(tmp_path: Path) -> None:
    bash = shell("bash")
    output = run_shell(
        [bash, "--norc", "--noprofile", "-c"], tmp_path, "nncalc --install-completion; true"
    )
    installed = tmp_path / ".bash_completions" / "nncalc.sh"
    assert f"bash completion installed in {installed}" in output
    assert f"source '{installed}'" in (tmp_path / ".bashrc").read_text()
    # A new interactive shell reads ~/.bashrc and completes.
    setup = f"source {tmp_path / '.bashrc'}"
    assert bash_complete("nncalc kl --format c", tmp_path, setup) == ["csv"]


# --- fish ------------------------------------------------------------------------


def fish_complete(line: str, home: Path, setup: str = "") -> list[str]:
    script = (
        f"{setup}; complete -C {shlex.quote(line)}" if setup else f"complete -C {shlex.quote(line)}"
    )
    output = run_shell([shell("fish"), "-c"], home, script)
    return [entry.split("\t")[0] for entry in output.splitlines() if entry]


def test_fish_completes_commands_options_and_format_values(tmp_path: Path) -> None:
    setup = f"source {COMPLETIONS / 'nncalc.fish'}"
    assert fish_complete("nncalc so", tmp_path, setup) == ["softmax"]
    assert set(fish_complete("nncalc ", tmp_path, setup)) == set(COMMANDS)
    assert fish_complete("nncalc kl --fo", tmp_path, setup) == ["--format"]
    assert sorted(fish_complete("nncalc kl --format ", tmp_path, setup)) == sorted(FORMATS)
    assert fish_complete("nncalc softmax -f j", tmp_path, setup) == ["json"]


def test_fish_loads_the_script_from_its_completions_directory(tmp_path: Path) -> None:
    target = tmp_path / ".config" / "fish" / "completions"
    target.mkdir(parents=True)
    shutil.copy(COMPLETIONS / "nncalc.fish", target / "nncalc.fish")  # as the README says
    assert fish_complete("nncalc kl --fo", tmp_path) == ["--format"]


def test_install_completion_in_fish(tmp_path: Path) -> None:
    output = run_shell([shell("fish"), "-c"], tmp_path, "nncalc --install-completion; true")
    installed = tmp_path / ".config" / "fish" / "completions" / "nncalc.fish"
    assert f"fish completion installed in {installed}" in output
    assert fish_complete("nncalc so", tmp_path) == ["softmax"]


# --- zsh -------------------------------------------------------------------------


def zsh_lines(home: Path, setup: list[str], typed: list[str], *, rc: bool = False) -> list[str]:
    """Type each of ``typed`` and <Tab> into an interactive zsh; its command lines after.

    A key bound to a small widget writes the edited command line ($BUFFER)
    to a file and clears it, so what completion did is read back exactly.
    """
    zsh = shell("zsh")
    out = home / "buffers.txt"
    done = home / "done.txt"
    master, slave = os.openpty()
    argv = [zsh, "-i"] if rc else [zsh, "-f", "-i"]
    process = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=shell_env(home), start_new_session=True
    )
    os.close(slave)
    dump = f'dump() {{ print -r -- "$BUFFER" >> {out}; BUFFER= }}; zle -N dump; bindkey "^T" dump'
    keys = "".join(f"{line}\n" for line in [*setup, dump])
    keys += "".join(f"{text}\t\x14" for text in typed) + f"print ok > {done}\n"
    try:
        os.write(master, keys.encode())
        deadline = time.monotonic() + 120
        while not done.exists():
            if time.monotonic() > deadline:
                pytest.fail(f"zsh did not finish: {out.read_text() if out.exists() else ''}")
            if select.select([master], [], [], 0.1)[0]:
                try:
                    os.read(master, 65536)  # keep the terminal drained
                except OSError:
                    break
    finally:
        process.kill()
        process.wait()
        os.close(master)
    return out.read_text().splitlines() if out.exists() else []


ZSH_CASES = [
    ("nncalc so", "nncalc softmax "),
    ("nncalc kl --fo", "nncalc kl --format "),
    ("nncalc kl --format j", "nncalc kl --format json "),
    ("nncalc softmax -f cs", "nncalc softmax -f csv "),
]


def test_zsh_completes_from_fpath_from_the_first_tab(tmp_path: Path) -> None:
    """Installed as the README says: _nncalc in a directory on $fpath, then compinit."""
    functions = tmp_path / ".zfunc"
    functions.mkdir()
    shutil.copy(COMPLETIONS / "_nncalc", functions / "_nncalc")
    setup = [f"fpath=({functions} $fpath); autoload -Uz compinit; compinit -u -d {tmp_path}/dump"]
    lines = zsh_lines(tmp_path, setup, [typed for typed, _ in ZSH_CASES])
    assert lines == [completed for _, completed in ZSH_CASES]


def test_zsh_completes_when_the_script_is_sourced(tmp_path: Path) -> None:
    setup = [
        f"autoload -Uz compinit; compinit -u -d {tmp_path}/dump",
        f"source {COMPLETIONS / '_nncalc'}",
    ]
    lines = zsh_lines(tmp_path, setup, [typed for typed, _ in ZSH_CASES])
    assert lines == [completed for _, completed in ZSH_CASES]


def test_install_completion_in_zsh(tmp_path: Path) -> None:
    output = run_shell([shell("zsh"), "-f", "-c"], tmp_path, "nncalc --install-completion; true")
    installed = tmp_path / ".zfunc" / "_nncalc"
    assert f"zsh completion installed in {installed}" in output
    assert "fpath+=~/.zfunc; autoload -Uz compinit; compinit" in (tmp_path / ".zshrc").read_text()
    # A new interactive zsh reads ~/.zshrc. Typer's own script only registers
    # itself on the session's first <Tab> (README, "Shell completion"); later
    # <Tab>s complete.
    lines = zsh_lines(tmp_path, [], ["nncalc so", *(typed for typed, _ in ZSH_CASES)], rc=True)
    assert lines[1:] == [completed for _, completed in ZSH_CASES]


# --- @path operands: file names after the '@' ----------------------------------


def make_files(home: Path) -> Path:
    """A directory of inputs: files, a directory, one with a space, a hidden one."""
    files = home / "work"
    for name in ["p.csv", "pq.csv", "my file.csv", ".hidden.csv", "runs/a.csv", "runs/b.npy"]:
        (files / name).parent.mkdir(parents=True, exist_ok=True)
        (files / name).write_text("0.5,0.5\n")
    (files / "only" / "deep").mkdir(parents=True)
    (files / "only" / "deep" / "x.csv").write_text("0.5,0.5\n")
    return files


def test_bash_completes_file_names_after_an_at(tmp_path: Path) -> None:
    files = make_files(tmp_path)
    setup = f"cd {shlex.quote(str(files))}; source {COMPLETIONS / 'nncalc.bash'}"
    everything = ["@my\\ file.csv", "@only/", "@p.csv", "@pq.csv", "@runs/"]
    assert bash_complete("nncalc kl @", tmp_path, setup) == everything
    assert bash_complete("nncalc kl @p", tmp_path, setup) == ["@p.csv", "@pq.csv"]
    assert bash_complete("nncalc kl @p.csv @pq", tmp_path, setup) == ["@pq.csv"]
    # A lone directory: its entries, so bash inserts "@runs/" and no space.
    assert bash_complete("nncalc kl @ru", tmp_path, setup) == ["@runs/a.csv", "@runs/b.npy"]
    assert bash_complete("nncalc kl @o", tmp_path, setup) == ["@only/deep/x.csv"]
    assert bash_complete("nncalc kl @my", tmp_path, setup) == ["@my\\ file.csv"]
    assert bash_complete("nncalc kl @.h", tmp_path, setup) == ["@.hidden.csv"]
    assert bash_complete("nncalc softmax --mask @p.", tmp_path, setup) == ["@p.csv"]
    assert bash_complete("nncalc softmax --labels @p.", tmp_path, setup) == ["@p.csv"]
    assert bash_complete("nncalc kl @nothing", tmp_path, setup) == []


def test_fish_completes_file_names_after_an_at(tmp_path: Path) -> None:
    files = make_files(tmp_path)
    setup = f"cd {shlex.quote(str(files))}; source {COMPLETIONS / 'nncalc.fish'}"
    everything = ["@my file.csv", "@only/", "@p.csv", "@pq.csv", "@runs/"]
    assert sorted(fish_complete("nncalc kl @", tmp_path, setup)) == everything
    assert sorted(fish_complete("nncalc kl @p", tmp_path, setup)) == ["@p.csv", "@pq.csv"]
    assert sorted(fish_complete("nncalc kl @ru", tmp_path, setup)) == [
        "@runs/a.csv",
        "@runs/b.npy",
    ]
    assert fish_complete("nncalc kl @o", tmp_path, setup) == ["@only/deep/x.csv"]
    assert fish_complete("nncalc softmax --mask @p.", tmp_path, setup) == ["@p.csv"]


ZSH_AT_CASES = [
    ("nncalc kl @p.", "nncalc kl @p.csv "),
    ("nncalc kl @p.csv @pq", "nncalc kl @p.csv @pq.csv "),
    ("nncalc kl @ru", "nncalc kl @runs/"),  # two files inside: their common part, no space
    ("nncalc kl @runs/b", "nncalc kl @runs/b.npy "),
    ("nncalc kl @o", "nncalc kl @only/deep/x.csv "),
    ("nncalc softmax --mask @p.", "nncalc softmax --mask @p.csv "),
]


def test_zsh_completes_file_names_after_an_at(tmp_path: Path) -> None:
    files = make_files(tmp_path)
    setup = [
        f"cd {shlex.quote(str(files))}",
        f"autoload -Uz compinit; compinit -u -d {tmp_path}/dump",
        f"source {COMPLETIONS / '_nncalc'}",
    ]
    lines = zsh_lines(tmp_path, setup, [typed for typed, _ in ZSH_AT_CASES])
    assert lines == [completed for _, completed in ZSH_AT_CASES]
