"""The README's command transcripts and figures are the code's own output (scripts/readme_figures.py)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from commands import run_command

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "readme_figures.py"


def _module():
    spec = importlib.util.spec_from_file_location("readme_figures", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


class InProcessRunner:
    """The script's ``Runner`` with each command run by ``islandcover.cli.main`` in this process
    (tests/commands.py) instead of a process of its own (~3 s of imports a command): a scratch live
    state, no data overlay, from the repository root, as the script runs them; outputs cached."""

    def __init__(self) -> None:
        self.out: dict[str, str] = {}

    def __call__(self, command: str) -> list[str]:
        if command not in self.out:
            args = command.split()
            assert args[0] == "islandcover", command
            done = run_command(*args[1:])
            assert done.returncode == 0, f"`{command}` failed ({done.returncode}): {done.stderr.strip()}"
            self.out[command] = done.stdout
        return self.out[command].rstrip("\n").split("\n")


def test_the_readme_quotes_what_the_commands_print_now(tmp_path, monkeypatch):
    mod = _module()
    text = mod.README.read_text(encoding="utf-8")
    names = {m.group("name") for m in mod.BLOCK.finditer(text)} | {m.group("name") for m in mod.INLINE.finditer(text)}
    assert names == set(mod.PARTS)  # every part is in the README, and nothing unknown
    monkeypatch.setenv("ISLANDCOVER_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("ISLANDCOVER_DATA", raising=False)
    monkeypatch.chdir(SCRIPT.parents[1])
    stale = mod.stale_parts(text, mod.render(text, InProcessRunner()))
    assert not stale, f"README.md is stale in {stale}: run python scripts/readme_figures.py"


def test_a_changed_figure_is_caught_and_durations_are_not(tmp_path):
    mod = _module()
    old = "<!-- generated: summary -->\n```\nobjective 68.59, 0.05 s\n```\n<!-- end generated -->\n"
    assert mod.stale_parts(old, old.replace("0.05 s", "0.07 s")) == []
    assert mod.stale_parts(old, old.replace("68.59", "68.60")) == ["summary"]
