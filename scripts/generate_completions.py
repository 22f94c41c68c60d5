"""Write completions/ for bash, zsh and fish from the installed ``nncalc``.

Typer prints each script when ``_NNCALC_COMPLETE=source_<shell>`` is set; the
program name comes from argv[0], so this runs the installed console script
(next to this Python), not ``python -m nncalc``.

    python scripts/generate_completions.py [OUTPUT_DIR]
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FILES = {"bash": "nncalc.bash", "zsh": "_nncalc", "fish": "nncalc.fish"}

# Typer's zsh script registers its function with compdef when it runs. Put on
# $fpath, it runs on the first <Tab> of a session, as the autoloaded _nncalc:
# then it must also complete, or that first <Tab> offers nothing.
ZSH_FIRST_TAB = """
# Autoloaded from $fpath by the first <Tab>: complete this time too.
if [[ $funcstack[1] == _nncalc ]]; then
  _nncalc_completion "$@"
fi
"""


def completion_script(shell: str) -> str:
    program = Path(sys.executable).parent / "nncalc"
    env = dict(os.environ, _NNCALC_COMPLETE=f"source_{shell}")
    result = subprocess.run([str(program)], env=env, capture_output=True, text=True, check=True)
    # zsh's compinit reads '#compdef nncalc' only on the first line.
    script = result.stdout.strip() + "\n"
    if shell == "zsh":
        script += ZSH_FIRST_TAB
    return script


def generate(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for shell, name in FILES.items():
        path = directory / name
        path.write_text(completion_script(shell))
        written.append(path)
    return written


if __name__ == "__main__":
    target = (
        Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent.parent / "completions"
    )
    for path in generate(target):
        print(path)
