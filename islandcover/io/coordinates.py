"""Coordinate systems accepted on input, and their conversion to WGS84 (EPSG:4326).

Accepted:

* WGS84 (``EPSG:4326``, ``WGS84``, ``CRS84``), the storage CRS;
* CGCS2000 (``EPSG:4490``), China's geodetic datum, converted with pyproj (it agrees with WGS84
  to a few centimetres, well inside the data's precision);
* GCJ-02 (``GCJ-02``, ``GCJ02``), the obfuscated system Chinese web maps (AMap, Tencent) publish.
  It is not an EPSG system; it is converted with the public-domain ``prcoords`` library
  (WGS84→GCJ-02 is the published forward formula; GCJ-02→WGS84 is its iterative inverse,
  accurate to ~1e-7°);
* any other CRS pyproj knows (e.g. ``EPSG:32651``), converted with pyproj.

Anything else raises :class:`~islandcover.errors.UnknownCRS`.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import prcoords
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from islandcover.errors import UnknownCRS

__all__ = ["GCJ02", "normalise_crs", "to_wgs84", "wgs84_to_gcj02"]

#: Name under which GCJ-02 is accepted (case-insensitive, dash optional).
GCJ02 = "GCJ-02"
_GCJ_NAMES = {"gcj-02", "gcj02", "gcj"}


def normalise_crs(crs: object) -> str | CRS:
    """Return ``"GCJ-02"`` or a pyproj ``CRS`` for any accepted CRS description.

    Parameters
    ----------
    crs : str, int or pyproj.CRS
        ``"EPSG:4326"``, ``4490``, ``"GCJ-02"``, a WKT string, a pyproj CRS, ...

    Raises
    ------
    UnknownCRS
        If pyproj cannot read ``crs`` and it is not GCJ-02.
    """
    if isinstance(crs, str) and crs.strip().lower() in _GCJ_NAMES:
        return GCJ02
    if isinstance(crs, CRS):
        return crs
    try:
        return CRS.from_user_input(crs)
    except (CRSError, TypeError) as exc:
        msg = (
            f"unknown CRS {crs!r}: use EPSG:4326 (WGS84), EPSG:4490 (CGCS2000), GCJ-02, "
            "or another EPSG code"
        )
        raise UnknownCRS(msg) from exc


def to_wgs84(
    lon: Sequence[float] | np.ndarray, lat: Sequence[float] | np.ndarray, crs: object
) -> tuple[np.ndarray, np.ndarray]:
    """Convert coordinates in ``crs`` to WGS84 longitude/latitude in degrees.

    Parameters
    ----------
    lon, lat : array-like of float
        Easting/longitude and northing/latitude in ``crs`` (degrees or metres).
    crs : str, int or pyproj.CRS
        Source CRS; see :func:`normalise_crs`.

    Returns
    -------
    lon, lat : numpy.ndarray
        WGS84 degrees.
    """
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    src = normalise_crs(crs)
    if src == GCJ02:
        out = [prcoords.gcj_wgs_bored(prcoords.Coords(float(b), float(a))) for a, b in zip(x, y)]
        return np.array([c.lon for c in out]), np.array([c.lat for c in out])
    assert isinstance(src, CRS)
    if src.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return x, y
    transformer = Transformer.from_crs(src, "EPSG:4326", always_xy=True)
    return transformer.transform(x, y)


def wgs84_to_gcj02(
    lon: Sequence[float] | np.ndarray, lat: Sequence[float] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Shift WGS84 lon/lat to GCJ-02 (to overlay data on AMap or Tencent tiles)."""
    out = [prcoords.wgs_gcj(prcoords.Coords(float(b), float(a))) for a, b in zip(lon, lat)]
    return np.array([c.lon for c in out]), np.array([c.lat for c in out])
