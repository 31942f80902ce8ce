"""The pinned ``--json`` answers of tests/golden/ and how they are compared (not a test module)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["COMMANDS", "GOLDEN", "golden", "normalised"]

#: The folder of the pinned answers; ``commands.json`` gives the command of each.
GOLDEN = Path(__file__).resolve().parent / "golden"
COMMANDS: dict[str, str] = json.loads((GOLDEN / "commands.json").read_text(encoding="utf-8"))


def normalised(answer: Any) -> Any:
    """The answer without its wall-clock fields (``seconds``)."""
    if isinstance(answer, dict):
        return {k: normalised(v) for k, v in answer.items() if k != "seconds"}
    if isinstance(answer, list):
        return [normalised(v) for v in answer]
    return answer


def golden(name: str) -> Any:
    """The pinned answer ``name`` (``tests/golden/NAME.json``)."""
    return json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
