"""islandcover's Holland (1980) profile against CLIMADA's.

``data/holland1980_climada_6.1.0.csv`` holds 252 speeds computed by CLIMADA 6.1.0's own
``climada.hazard.trop_cyclone.trop_cyclone_windfields._stat_holland_1980`` (ETH Zurich; the
symmetric gradient-level wind, no translation, no surface factor; air density 1.15 kg/m³), for
central pressures 960/975/990 hPa under 1010 hPa, B 1.0/1.5/2.0, Rmax 20/40 km, at 5–400 km from
the centre, with Coriolis off (cyclostrophic) and on at 30°N. ``scripts/climada_holland_reference.py``
produced them (CLIMADA must be installed to run it; the tests need only the table).

islandcover's vortex writes the profile with its maximum wind, ``v = vmax · sqrt(y · e^(1 − y))``,
``y = (Rmax/r)^B``, and takes ``vmax = sqrt(B · Δp / (ρ · e))`` from the pressure drop: the same
function as Holland's ``sqrt(B/ρ · Δp · y · e^(−y))``. So, with no motion:

* outside Rmax, the speeds equal CLIMADA's cyclostrophic ones (to rounding);
* with Coriolis, the gradient wind is ``sqrt(Vc² + (rf/2)²) − rf/2``, below the cyclostrophic
  ``Vc`` by at most ``rf/2``: islandcover neglects it (at 30°N, 0.7 m/s at 40 km, 7 m/s at 400 km;
  the archipelago's links lie within a few hundred km of a storm that can close them);
* inside Rmax islandcover keeps the maximum (no calm eye, a dispatcher's cautious reading), at or
  above CLIMADA's.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from islandcover.typhoon.wind_field import Vortex, wind_from_pressure

REFERENCE = Path(__file__).parent / "data" / "holland1980_climada_6.1.0.csv"
EARTH_KM = 6371.0088
LON, LAT = 122.0, 30.0


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    t = pd.read_csv(REFERENCE)
    assert len(t) == 252 and set(t.cyclostrophic) == {True, False}
    ours = []
    for row in t.itertuples():
        vmax = wind_from_pressure(row.pc_hpa, b=row.b)  # the maximum wind whose Holland B is row.b
        v = Vortex.from_state(LON, LAT, vmax, row.pc_hpa, rmax_km=row.rmax_km)
        assert v.b == pytest.approx(row.b, abs=1e-12)
        # a point due east at row.r_km on the vortex's own tangent plane (its distance measure)
        lon = LON + math.degrees(row.r_km / EARTH_KM) / math.cos(math.radians(LAT))
        ours.append(float(v.speed_ms(np.array([lon]), np.array([LAT]))[0]))
    t["ours"] = ours
    return t


def test_outside_rmax_the_profile_is_climadas_cyclostrophic_one(table):
    rows = table[table.cyclostrophic & (table.r_km >= table.rmax_km)]
    assert len(rows) == 90
    np.testing.assert_allclose(rows.ours, rows.v_ms, rtol=1e-9, atol=1e-6)


def test_with_coriolis_climada_is_lower_by_at_most_half_r_f(table):
    rows = table[~table.cyclostrophic & (table.r_km >= table.rmax_km)]
    half_rf = 0.5 * rows.r_km * 1000.0 * 2 * 7.29e-5 * np.sin(np.radians(rows.lat))
    gap = rows.ours - rows.v_ms
    assert (gap >= -1e-6).all() and (gap <= half_rf + 1e-6).all()
    assert gap.max() > 1.0  # the term matters far out: the comparison can tell


def test_inside_rmax_the_maximum_is_kept(table):
    rows = table[table.cyclostrophic & (table.r_km < table.rmax_km)]
    assert len(rows) > 0
    assert (rows.ours >= rows.v_ms - 1e-6).all()
    vmax = [wind_from_pressure(pc, b=b) for pc, b in zip(rows.pc_hpa, rows.b)]
    np.testing.assert_allclose(rows.ours, vmax, rtol=1e-9)
