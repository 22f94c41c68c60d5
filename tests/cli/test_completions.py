"""completions/ is generated from the app and must not go stale."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tests.conftest import ROOT, nncalc_path


def load_generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "generate_completions", ROOT / "scripts" / "generate_completions.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_completion_scripts_are_up_to_date(tmp_path: Path) -> None:
    nncalc_path()
    generator = load_generator()
    for path in generator.generate(tmp_path):
        committed = ROOT / "completions" / path.name
        assert committed.exists(), f"missing completions/{path.name}"
        assert committed.read_text() == path.read_text(), (
            f"completions/{path.name} is stale: run python scripts/generate_completions.py"
        )


def test_each_script_names_the_program() -> None:
    for name in ("nncalc.bash", "_nncalc", "nncalc.fish"):
        text = (ROOT / "completions" / name).read_text()
        assert "_NNCALC_COMPLETE" in text
