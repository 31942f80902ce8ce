"""The model cache: a warm load equals a load from the files, and never outlives a change to them."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from islandcover import Archipelago, Router, Weather
from islandcover.config import DEFAULT_DATA_DIR
from islandcover.errors import DataError
from islandcover.model_cache import load_archipelago, model_key


def _same(a: Archipelago, b: Archipelago) -> None:
    for layer in ("islands", "stations", "teams", "piers", "ferries", "places", "other_land"):
        pd.testing.assert_frame_equal(getattr(a, layer), getattr(b, layer), obj=layer)
    assert a.files == b.files and a.source == b.source and a.overlay == b.overlay


def test_a_warm_load_is_the_model_loaded_from_the_files(tmp_path: Path) -> None:
    cold = load_archipelago(cache_dir=tmp_path)
    assert len(list(tmp_path.glob("model-*.pickle"))) == 1
    warm = load_archipelago(cache_dir=tmp_path)
    _same(warm, Archipelago.load())
    _same(warm, cold)
    assert warm.island("蚂蚁岛").id == Archipelago.load().island("蚂蚁岛").id


def test_a_changed_file_in_the_overlay_is_a_new_key_and_a_fresh_load(tmp_path: Path) -> None:
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    teams = pd.read_csv(DEFAULT_DATA_DIR / "teams.csv", dtype=str)
    teams.to_csv(overlay / "teams.csv", index=False)
    first = load_archipelago(overlay, cache_dir=tmp_path / "cache")
    tid = str(teams.id.iloc[0])
    assert first.teams.at[tid, "status"] == "available"
    key = model_key(overlay)
    teams.loc[0, "status"] = "busy"
    teams.to_csv(overlay / "teams.csv", index=False)
    assert model_key(overlay) != key
    assert load_archipelago(overlay, cache_dir=tmp_path / "cache").teams.at[tid, "status"] == "busy"


def test_the_same_files_in_another_folder_are_another_key(tmp_path: Path) -> None:
    # the loaded model names the folder its layers came from: a copy elsewhere must not reuse it
    teams = pd.read_csv(DEFAULT_DATA_DIR / "teams.csv", dtype=str)
    keys = []
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        teams.to_csv(tmp_path / name / "teams.csv", index=False)
        keys.append(model_key(tmp_path / name))
    assert keys[0] != keys[1]
    assert model_key(tmp_path / "one") == keys[0]  # and the key of one folder is stable


def test_a_damaged_cache_file_is_replaced(tmp_path: Path) -> None:
    load_archipelago(cache_dir=tmp_path)
    (path,) = tmp_path.glob("model-*.pickle")
    path.write_bytes(b"not a pickle")
    _same(load_archipelago(cache_dir=tmp_path), Archipelago.load())
    assert path.read_bytes() != b"not a pickle"


def test_a_model_that_fails_to_load_is_never_cached(tmp_path: Path) -> None:
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "teams.csv").write_text("id,name\nT-1,x\n", encoding="utf-8")
    with pytest.raises(DataError, match="teams"):
        load_archipelago(overlay, cache_dir=tmp_path / "cache")
    assert not list(tmp_path.rglob("model-*"))


def test_search_skeletons_are_kept_between_routers_and_give_the_same_times(arch, net, tmp_path: Path) -> None:
    first = Router(arch, net, cache_dir=tmp_path)
    calm = first.travel_times(Weather.uniform(0))
    assert first.skeleton_count() == 3  # one full search per travel mode
    (kept,) = tmp_path.glob("skeletons-*.npz")
    second = Router(arch, net, cache_dir=tmp_path)
    again = second.travel_times(Weather.uniform(0))
    assert second.skeleton_count() == 0  # answered on the skeletons read from the file
    np.testing.assert_allclose(again.to_numpy(), calm.to_numpy(), equal_nan=True)
    kept.write_bytes(b"damaged")
    third = Router(arch, net, cache_dir=tmp_path)
    np.testing.assert_allclose(third.travel_times(Weather.uniform(0)).to_numpy(), calm.to_numpy(), equal_nan=True)
    assert third.skeleton_count() == 3


def test_the_cache_folder_may_hold_a_copy_of_the_data(tmp_path: Path) -> None:
    # a complete data set given as the folder (its own islands.geojson) is keyed by its files too
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data)
    _same(load_archipelago(data, cache_dir=tmp_path / "c"), Archipelago.load(data))
