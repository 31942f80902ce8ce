"""The live situation a dispatcher's question is asked in: where each team is and whether it is
available, the suspension notices in force, and when that state was read.

Plain values, read from the live state (:meth:`islandcover.store.Store.situation`) and handed to
the travel questions (:class:`islandcover.travel.routing.Router`): the store and the router
never import each other. :data:`SHIPPED` is the situation of a pure what-if (``--state none``):
every team available at its station, no notice.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from islandcover.clock import beijing_text

__all__ = [
    "POSITION_KINDS",
    "SHIPPED",
    "SUSPENSION_SCOPES",
    "Situation",
    "Suspension",
    "TeamNow",
]

#: Where a team can be: at its station, on an island (at the island's service point), at a pier,
#: or at a point (``"lon,lat"``: on an island or at sea).
POSITION_KINDS: tuple[str, ...] = ("station", "island", "pier", "point")

#: What a suspension notice can cover:
#:
#: - ``route``: one scheduled sailing (``F-18``);
#: - ``service``: every sailing of a vessel class of the ferries (``high-speed``, ``conventional``, ``ro-ro``);
#: - ``vessel``: the teams' own boats of a class (``workboat``, ``fast``);
#: - ``area``: a named water (``岱衢洋``: its sea lanes and the sailings crossing it) or a district
#:   or county (``嵊泗县``: every sailing touching its islands);
#: - ``bridge``: one bridge by name;
#: - ``all``: everything at sea (every sailing and own boat); bridges and roads stay open.
SUSPENSION_SCOPES: tuple[str, ...] = ("route", "service", "vessel", "area", "bridge", "all")


@dataclass(frozen=True)
class TeamNow:
    """One team as it is now.

    Attributes
    ----------
    team_id : str
    status : str
        ``available``, ``busy`` or ``off-duty``.
    at_kind : str
        One of :data:`POSITION_KINDS`.
    at_ref : str
        The station, island or pier id, or ``"lon,lat"`` for a point.
    at_set : datetime or None
        When the position was set (UTC); None for a team still at its loaded station.
    """

    team_id: str
    status: str
    at_kind: str = "station"
    at_ref: str = ""
    at_set: datetime | None = None


@dataclass(frozen=True)
class Suspension:
    """A suspension notice: links closed by the operator or the maritime authority, whatever the wind.

    Attributes
    ----------
    id : int
        Its id in the live state (0 for a notice not stored, e.g. a replay's lead-time rule).
    scope : str
        One of :data:`SUSPENSION_SCOPES`.
    ref : str
        What the scope names (``F-18``, ``high-speed``, ``岱衢洋``, ``嵊泗县``, a bridge's name;
        empty for ``all``).
    starts : datetime
        From when (aware).
    ends : datetime or None
        Until when (aware); None: until revoked.
    source : str
        Who issued it, or where it was read (``舟山海事局 2025-10-19 停航通知``).
    note : str
    """

    id: int
    scope: str
    ref: str
    starts: datetime
    ends: datetime | None
    source: str
    note: str = ""

    def active(self, at: datetime) -> bool:
        """Whether the notice is in force at ``at`` (aware)."""
        return self.starts <= at and (self.ends is None or at < self.ends)

    def label(self) -> str:
        """How an answer names it: ``notice 3 (舟山海事局 …): F-18``."""
        what = "everything at sea" if self.scope == "all" else f"{self.scope} {self.ref}"
        who = f" ({self.source})" if self.source else ""
        return f"notice {self.id}{who}: {what}"


@dataclass(frozen=True)
class Situation:
    """The live state a question is answered on.

    Attributes
    ----------
    teams : mapping of str to TeamNow
        Teams that are not simply available at their station; a team missing here is.
    suspensions : tuple of Suspension
        Every notice stored (active or not; :meth:`suspensions_at` picks).
    as_of : datetime or None
        When the state was read (UTC); None for :data:`SHIPPED`.
    version : int or None
        The state's version (:meth:`islandcover.store.Store.version`).
    source : str
        Where it was read (a database URL without password, or ``"none"``).
    """

    teams: Mapping[str, TeamNow] = field(default_factory=dict)
    suspensions: tuple[Suspension, ...] = ()
    as_of: datetime | None = None
    version: int | None = None
    source: str = "none"

    def status(self, team_id: str, loaded: str = "available") -> str:
        """The team's live status (``loaded``: its status in the team file, when not in the state)."""
        t = self.teams.get(team_id)
        return t.status if t is not None else loaded

    def statuses(self) -> dict[str, str]:
        """Team id → live status, for the teams the state knows."""
        return {tid: t.status for tid, t in self.teams.items()}

    def suspensions_at(self, at: datetime | None) -> tuple[Suspension, ...]:
        """The notices in force at ``at`` (default: :attr:`as_of`, else now)."""
        when = at or self.as_of or datetime.now(UTC)
        return tuple(s for s in self.suspensions if s.active(when))

    def positions_key(self) -> str:
        """A short fingerprint of where the teams are (what cached searches depend on)."""
        moved = sorted((t.team_id, t.at_kind, t.at_ref) for t in self.teams.values() if t.at_kind != "station")
        return hashlib.sha256(json.dumps(moved).encode()).hexdigest()[:16] if moved else ""

    def describe(self) -> str:
        """``as of 12-03 17:20 BJT, state version 41`` or ``shipped data, no live state``."""
        if self.as_of is None:
            return "shipped data, no live state (--state none)"
        version = f", state version {self.version}" if self.version is not None else ""
        return f"as of {beijing_text(self.as_of)}{version}"


#: A pure what-if on the shipped data: every team available at its station, no notice.
SHIPPED = Situation()
