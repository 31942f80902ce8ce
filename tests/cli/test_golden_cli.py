"""The ``--json`` answers of a handful of commands, pinned.

The files in ``tests/golden/`` were written by the flat package before issue 15 moved it into
subpackages (``commands.json`` lists the command of each); the move changed no behaviour, so
the answers must not change. Wall-clock fields (``seconds``) are left out. When a change to
the behaviour is intended, regenerate a file with
``python tests/cli/test_golden_cli.py NAME`` (``ISLANDCOVER_STATE_DIR`` set to
an empty folder) and say why in the commit.
"""
from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: run as a script to regenerate
from answers import COMMANDS, GOLDEN, golden, normalised  # noqa: E402


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_json_answer_is_unchanged(run_cli, name, tmp_path, monkeypatch):
    monkeypatch.setenv("ISLANDCOVER_STATE_DIR", str(tmp_path))
    rc, out, err = run_cli(shlex.split(COMMANDS[name]))
    assert rc == 0, err
    assert normalised(json.loads(out)) == golden(name)


if __name__ == "__main__":  # regenerate the named files from the current code
    import contextlib  # noqa: E402
    import io  # noqa: E402

    from islandcover.cli import main  # noqa: E402

    for name in sys.argv[1:]:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            main(shlex.split(COMMANDS[name]))
        text = json.dumps(normalised(json.loads(buf.getvalue())), ensure_ascii=False, indent=1, sort_keys=True)
        (GOLDEN / f"{name}.json").write_text(text + "\n", encoding="utf-8")
