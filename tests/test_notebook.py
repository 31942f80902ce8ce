"""The planner's notebook runs top to bottom on the shipped data, and its saved outputs are a fresh
run's (so it never rots, and never shows a number the code no longer gives).

The notebook is executed once per module (scripts/run_notebook.py, the command that regenerates
its saved outputs); the other tests read that run.
"""
from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "run_notebook.py"


def _module():
    spec = importlib.util.spec_from_file_location("run_notebook", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def run():
    return _module()


@pytest.fixture(scope="module")
def saved(run):
    return nbformat.read(run.NOTEBOOK, as_version=4)


@pytest.fixture(scope="module")
def fresh(run, saved):
    return run.execute(saved)


def test_the_planner_notebook_runs_top_to_bottom(fresh, run):
    text = "\n".join(run.output_text(c) for c in fresh.cells if c.cell_type == "code")
    assert "worst ETA today" in text and "beacon.html" in text
    assert all(c.get("outputs") for c in fresh.cells if c.cell_type == "code"), "a code cell shows nothing"


def test_the_saved_numbers_are_those_of_a_fresh_run(saved, fresh, run):
    stale = run.stale_cells(saved, fresh)
    assert not stale, "notebooks/planner.ipynb is stale:\n" + "\n".join(stale)


def test_no_table_shows_nan_rows(fresh, run):
    bad = [f"cell {k + 1}" for k, c in enumerate(fresh.cells)
           if c.cell_type == "code" and re.search(r"\bNaN\b|<NA>|\bNaT\b|\bNone\b", run.output_text(c))]
    assert not bad, f"missing values shown in {bad}: fill them ('—', 'not published') or drop them with a note"


def test_the_walkthrough_uses_the_package_face_and_explains_the_four_models(saved):
    for k, cell in enumerate(saved.cells):
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.ImportFrom):
                assert node.module == "islandcover" or not (node.module or "").startswith("islandcover"), \
                    f"cell {k + 1} imports from {node.module}: use `from islandcover import …`"
            elif isinstance(node, ast.Import):
                assert not [a.name for a in node.names if a.name.startswith("islandcover")], \
                    f"cell {k + 1} imports an islandcover module: use `from islandcover import …`"
            elif isinstance(node, ast.Attribute):
                assert not node.attr.startswith("_"), f"cell {k + 1} reaches a private name: {node.attr}"
    text = "\n".join(c.source for c in saved.cells if c.cell_type == "markdown")
    for name in ("MCLP", "p-median", "p-center", "Set cover"):
        assert f"**{name}**" in text, f"the notebook does not explain {name}"


def test_a_changed_number_is_caught_and_wall_clock_values_are_not(run):
    def nb(text: str) -> nbformat.NotebookNode:
        cell = nbformat.v4.new_code_cell("print(worst)")
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
        return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# x"), cell])

    old = "p-center 68.59 min at SP-0027, solved in 0.05 s at 2026-12-03T13:06:12+08:00 in /tmp/tmpa81x/b.html\n"
    assert run.stale_cells(nb(old), nb(old.replace("0.05 s", "1.7 s").replace("13:06:12", "14:00:01")
                                       .replace("tmpa81x", "tmp9q2z"))) == []
    stale = run.stale_cells(nb(old), nb(old.replace("68.59", "65.90")))
    assert len(stale) == 1 and "cell 2" in stale[0] and "68.59" in stale[0] and "65.90" in stale[0]
    assert run.COMMAND in stale[0]
    assert run.stale_cells(nb(old), nb(old.replace("SP-0027", "SP-0031")))  # another site is another answer
