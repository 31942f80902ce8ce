"""Reference values of CLIMADA's Holland (1980) symmetric gradient wind profile.

Run in a virtual environment with climada 6.1.0 (pip install --no-deps climada==6.1.0 plus its
requirements but gdal, which only its nightlight module imports):
    python scripts/climada_holland_reference.py
writes holland1980_climada.csv here; islandcover keeps it as
tests/typhoon/data/holland1980_climada_6.1.0.csv (tests/typhoon/test_wind_field_climada.py).

Primary values (column v_ms) come from CLIMADA's own
    climada.hazard.trop_cyclone.trop_cyclone_windfields._stat_holland_1980
called with a minimal "si_track" dataset (SI units) in which Holland's B is
given directly (variable "hol_b"), rho_air is set by CLIMADA's _rho_air with
its default constant DEF_RHO_AIR (1.15 kg/m^3) and the Coriolis parameter by
CLIMADA's _coriolis_parameter(lat).  _stat_holland_1980 returns the pure
gradient-level symmetric (angular) speed: no translation, no surface factor.

Cross-check (column v_ms_public_path, not required downstream): the same
numbers through the higher-level path used by TropCyclone.from_tracks:
    tctrack_to_si(track)  ->  _compute_angular_windspeeds_h1980(...,
        gradient_to_surface_winds=1.0)
with a stationary 2-node track whose max_sustained_wind is chosen so that
CLIMADA's _B_holland_1980 (B = vgrad^2 * e * rho / dp, clipped to [1, 2.5])
reproduces the requested B.  This also exercises CLIMADA's unit handling
(hPa -> Pa, nautical miles -> m for radius_max_wind).
"""

import importlib
import itertools
import warnings

import climada
import numpy as np
import pandas as pd
import xarray as xr

w = importlib.import_module("climada.hazard.trop_cyclone.trop_cyclone_windfields")

PC = [960.0, 975.0, 990.0]
PENV = 1010.0
BS = [1.0, 1.5, 2.0]
RMAX_KM = [20.0, 40.0]
R_KM = np.array([5, 20, 30, 60, 100, 200, 400], dtype=float)
# (lat, cyclostrophic): Coriolis off (lat is then irrelevant; we still record 30)
CASES = [(30.0, True), (30.0, False)]


def si_track_direct(pc, b, rmax_km, lat):
    """Minimal si_track with one node, B supplied directly."""
    si = xr.Dataset(
        {
            "lat": ("time", [lat]),
            "rad": ("time", [rmax_km * w.KM_TO_M]),
            "hol_b": ("time", [b]),
            "pdelta": ("time", [(PENV - pc) * w.MBAR_TO_PA]),
            "cp": ("time", w._coriolis_parameter(np.array([lat]))),
        },
        coords={"time": np.array(["2000-01-01T00"], dtype="datetime64[ns]")},
    )
    w._rho_air(si, w.DEF_RHO_AIR)  # CLIMADA's own default air density
    return si


def v_direct(pc, b, rmax_km, lat, cyclostrophic):
    si = si_track_direct(pc, b, rmax_km, lat)
    d_centr = (R_KM * w.KM_TO_M)[None, :]
    mask = np.ones_like(d_centr, dtype=bool)
    return w._stat_holland_1980(si, d_centr, mask, cyclostrophic=cyclostrophic)[0]


def track_for_public_path(pc, b, rmax_km, lat):
    """Stationary 2-node track (IBTrACS-like units) giving CLIMADA-derived B == b."""
    rho = w.DEF_RHO_AIR
    dp_pa = (PENV - pc) * w.MBAR_TO_PA
    vmax_ms = np.sqrt(b * dp_pa / (np.exp(1) * rho))  # inverse of _B_holland_1980
    n = 2
    return xr.Dataset(
        {
            "time_step": ("time", np.full(n, 1.0)),
            "max_sustained_wind": ("time", np.full(n, vmax_ms)),
            "central_pressure": ("time", np.full(n, pc)),
            "radius_max_wind": ("time", np.full(n, rmax_km / w.NM_TO_KM)),
            "environmental_pressure": ("time", np.full(n, PENV)),
        },
        coords={
            "time": pd.date_range("2000-01-01", periods=n, freq="h"),
            "lat": ("time", np.full(n, lat)),
            "lon": ("time", np.full(n, -60.0)),
        },
        attrs={
            "max_sustained_wind_unit": "m/s",
            "central_pressure_unit": "mb",
            "name": "ref",
            "sid": "ref",
            "orig_event_flag": True,
            "data_provider": "synthetic",
            "category": 0,
        },
    )


def v_public(pc, b, rmax_km, lat, cyclostrophic):
    si = w.tctrack_to_si(track_for_public_path(pc, b, rmax_km, lat))
    assert float(si["vtrans_norm"].max()) == 0.0
    d_centr = np.broadcast_to((R_KM * w.KM_TO_M)[None, :], (2, R_KM.size)).copy()
    mask = np.ones_like(d_centr, dtype=bool)
    v = w._compute_angular_windspeeds_h1980(
        si, d_centr, mask, cyclostrophic=cyclostrophic, gradient_to_surface_winds=1.0
    )
    assert np.allclose(si["hol_b"].values, b), (si["hol_b"].values, b)
    return v[1]


rows = []
for (lat, cyc), pc, b, rmax in itertools.product(CASES, PC, BS, RMAX_KM):
    vd = v_direct(pc, b, rmax, lat, cyc)
    vp = v_public(pc, b, rmax, lat, cyc)
    for r, a, c in zip(R_KM, vd, vp):
        rows.append(
            dict(pc_hpa=pc, penv_hpa=PENV, b=b, rmax_km=rmax, r_km=r, lat=lat,
                 cyclostrophic=cyc, v_ms=a, v_ms_public_path=c)
        )

df = pd.DataFrame(rows)
maxdiff = float((df.v_ms - df.v_ms_public_path).abs().max())
print("climada", climada.__version__ if hasattr(climada, "__version__") else "")
print("DEF_RHO_AIR", w.DEF_RHO_AIR, "MBAR_TO_PA", w.MBAR_TO_PA, "NM_TO_KM", w.NM_TO_KM,
      "V_ANG_EARTH", w.V_ANG_EARTH)
print("max |direct - public path| =", maxdiff)
df[["pc_hpa", "penv_hpa", "b", "rmax_km", "r_km", "lat", "cyclostrophic", "v_ms"]].to_csv(
    "/tmp/climada-check/holland1980_climada.csv", index=False, float_format="%.10g")
df.to_csv("/tmp/climada-check/holland1980_climada_with_crosscheck.csv", index=False,
          float_format="%.10g")

# --- independent closed-form check of what _stat_holland_1980 computes ---------
f = 2 * w.V_ANG_EARTH * np.sin(np.radians(df.lat.abs()))
rr = df.r_km * 1000.0
x = (df.rmax_km * 1000.0 / rr) ** df.b
rc = np.where(df.cyclostrophic, 0.0, 0.5 * rr * f)
v_formula = np.sqrt(df.b / w.DEF_RHO_AIR * x * (df.penv_hpa - df.pc_hpa) * 100 * np.exp(-x)
                    + rc**2) - rc
print("max |v_ms - closed form| =", float(np.abs(df.v_ms - v_formula).max()))

# --- quirk check: does 'cyclostrophic' in model_kwargs survive compute_angular_windspeeds? ---
si = w.tctrack_to_si(track_for_public_path(960.0, 1.5, 40.0, 30.0))
d = np.broadcast_to((R_KM * 1000.0)[None, :], (2, R_KM.size)).copy()
m = np.ones_like(d, dtype=bool)
with warnings.catch_warnings(record=True) as wr:
    warnings.simplefilter("always")
    v_api = w.compute_angular_windspeeds(
        si, d, m, w.MODEL_VANG["H1980"],
        model_kwargs={"cyclostrophic": True, "gradient_to_surface_winds": 1.0})
sub = df[(df.pc_hpa == 960) & (df.b == 1.5) & (df.rmax_km == 40)]
print("compute_angular_windspeeds(model_kwargs={'cyclostrophic': True}) row[1]:", v_api[1])
print("   reference cyclostrophic=True :", sub[sub.cyclostrophic].v_ms.values)
print("   reference cyclostrophic=False:", sub[~sub.cyclostrophic].v_ms.values)
print("   row[0] (first node):", v_api[0], "warnings:", [str(x.message)[:80] for x in wr])
