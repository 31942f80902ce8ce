"""The live state from the command line: ``team`` (where a team is, its status) and ``suspend``
(the suspension notices in hand). The API writes the same state (``PATCH /teams/{id}``,
``POST /suspensions``), so a team moved in one is moved for the other.
"""
from __future__ import annotations

import argparse
import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from islandcover.cli._common import (
    data_args,
    data_folder,
    open_store,
    parse_time,
    router_of,
    state_args,
)
from islandcover.clock import beijing_text, iso_beijing
from islandcover.errors import DataError, IslandcoverError, SuspensionError
from islandcover.situation import Suspension
from islandcover.store import TeamState

__all__ = ["add_commands", "cmd_suspend", "cmd_team"]

#: ``--status`` words and the status each stands for.
_STATUS = {"available": "available", "busy": "busy", "off": "off-duty", "off-duty": "off-duty"}


def _show_team(t: TeamState) -> str:
    where = "at its station" if t.at_kind == "station" else f"at {t.at_kind} {t.at_ref}"
    on = f", on incident {t.incident_id}" if t.incident_id is not None else ""
    return f"{t.team_id}: {t.status}{on}, {where}"


def cmd_team(args: argparse.Namespace) -> int:
    """Show or change one team in the live state: where it is, its status."""
    at = None
    router = router_of(args) if args.at is not None else None
    store = open_store(args)
    try:
        from islandcover.model_cache import load_archipelago

        arch = router.arch if router is not None else load_archipelago(data_folder(args),
                                                                        cache_dir=args.config.cache_dir)
        team = arch.team(args.team)
        store.sync_teams({str(t): str(s) for t, s in arch.teams.status.items()})
        if args.at is not None:
            at = router.position(team.id, args.at)  # type: ignore[union-attr]
        elif args.return_home:
            at = ("station", "")
        status = _STATUS[args.status] if args.status is not None else None
        if at is None and status is None:
            state = store.team_states()[team.id]
        else:
            state = store.set_team(team.id, status=status, at=at)
    finally:
        store.close()
    if args.json:
        print(json.dumps(state.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(_show_team(state))
    return 0


def _notice_dict(n: Suspension, now: datetime) -> dict[str, Any]:
    return {"id": n.id, "scope": n.scope, "ref": n.ref, "starts": iso_beijing(n.starts),
            "ends": None if n.ends is None else iso_beijing(n.ends), "source": n.source, "note": n.note,
            "active": n.active(now), "label": n.label()}


def _scope(args: argparse.Namespace) -> tuple[str, str]:
    for scope in ("route", "service", "vessel", "area", "bridge"):
        value = getattr(args, scope)
        if value is not None:
            return scope, value
    return "all", ""


def cmd_suspend(args: argparse.Namespace) -> int:
    """Enter, list, revoke or import suspension notices."""
    now = datetime.now(UTC)
    if args.list:
        store = open_store(args)
        try:
            notices = store.suspensions()
        finally:
            store.close()
        if args.json:
            print(json.dumps([_notice_dict(n, now) for n in notices], ensure_ascii=False, indent=2))
        elif not notices:
            print("no suspension notices")
        for n in notices if not args.json else []:
            until = beijing_text(n.ends, year=True) if n.ends else "until revoked"
            print(f"  {'in force' if n.active(now) else 'not now':8s} {n.label()}; "
                  f"{beijing_text(n.starts, year=True)} – {until}")
        return 0
    if args.revoke is not None:
        store = open_store(args)
        try:
            n = store.revoke_suspension(args.revoke)
        finally:
            store.close()
        print(f"revoked {n.label()}")
        return 0
    cover = router_of(args).cover
    if args.import_file is not None:
        rows = _read_notices(args.import_file, cover)
    else:
        if not args.all and _scope(args) == ("all", ""):
            raise SuspensionError("say what the notice covers: --route, --service, --vessel, --area, --bridge or --all")
        if not args.source:
            raise SuspensionError("--source is required: who issued the notice (e.g. '舟山海事局 10-19 08:00 通知')")
        scope, ref = _scope(args)
        rows = [(scope, cover.check(scope, ref), parse_time(args.start, "--from"),
                 None if args.until is None else parse_time(args.until, "--until"), args.source, args.note or "")]
    store = open_store(args)
    try:
        added = [store.add_suspension(scope, ref, starts=starts, ends=ends, source=source, note=note)
                 for scope, ref, starts, ends, source, note in rows]
    finally:
        store.close()
    now = datetime.now(UTC)
    if args.json:
        print(json.dumps([_notice_dict(n, now) for n in added], ensure_ascii=False, indent=2))
    for n in added if not args.json else []:
        print(f"entered {n.label()} ({'in force now' if n.active(now) else 'not in force now'})")
    return 0


def _read_notices(path: Path, cover: Any) -> list[tuple[str, str, datetime, datetime | None, str, str]]:
    """Notices from a CSV file: ``scope,ref,starts,ends,source,note`` (ends and note may be empty).

    Raises
    ------
    DataError
        Naming the file, the row and the field of the first bad value; nothing is stored then.
    """
    name = Path(path).name
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            table = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(name, f"not a readable UTF-8 CSV file ({exc})") from None
    missing = {"scope", "ref", "starts", "source"} - set(table[0] if table else {})
    if missing or not table:
        raise DataError(name, f"needs the columns scope, ref, starts, ends, source, note (missing: "
                              f"{', '.join(sorted(missing)) or 'every row'})")
    out = []
    for i, row in enumerate(table, start=1):
        field = "scope"
        try:
            scope = (row.get("scope") or "").strip()
            field = "ref"
            ref = cover.check(scope, row.get("ref") or "")
            field = "starts"
            starts = parse_time(row.get("starts") or "", "starts")
            field = "ends"
            ends = parse_time(row["ends"], "ends") if (row.get("ends") or "").strip() else None
            field = "source"
            source = (row.get("source") or "").strip()
            if not source:
                raise SuspensionError("a notice needs its source")
        except IslandcoverError as exc:
            raise DataError(name, str(exc), row=i, field=field) from None
        out.append((scope, ref, starts, ends, source, (row.get("note") or "").strip()))
    return out


def add_commands(sub: Any) -> None:
    """Register ``team`` and ``suspend`` on the subparsers object ``sub``."""
    p = sub.add_parser("team", help="show or change a team in the live state: where it is, its status",
                       description="Where a team is decides where every answer starts it from. A released team "
                                   "stays on its incident's island until moved or returned.")
    data_args(p)
    p.add_argument("team", help="team id, e.g. T-07A")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--at", metavar="PLACE", help="where it is now: an island (id, name, pinyin), a pier or "
                                                     "station id, or LON,LAT (on an island or at sea)")
    where.add_argument("--return", dest="return_home", action="store_true", help="back at its own station")
    p.add_argument("--status", choices=sorted(_STATUS), help="available, busy, or off (off duty)")
    p.add_argument("--travel-config", type=Path, default=None, help=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true", help="print JSON")
    state_args(p)
    p.set_defaults(func=cmd_team)

    p = sub.add_parser("suspend", help="suspension notices: enter, list, revoke or import them",
                       description="A notice closes links whatever the wind, from --from (default now) until "
                                   "--until (default: until revoked); every answer honours it and names it.")
    data_args(p)
    what = p.add_mutually_exclusive_group()
    what.add_argument("--route", metavar="F-xx", help="one scheduled sailing (id or Chinese name)")
    what.add_argument("--service", choices=("high-speed", "conventional", "ro-ro"), help="every sailing of a class")
    what.add_argument("--vessel", choices=("workboat", "fast"), help="the teams' own boats of a class")
    what.add_argument("--area", help="a named water (岱衢洋) or a district or county (嵊泗县)")
    what.add_argument("--bridge", help="a bridge, by Chinese name")
    what.add_argument("--all", action="store_true", help="every sailing and own-boat sea lane")
    what.add_argument("--list", action="store_true", help="list the notices not revoked")
    what.add_argument("--revoke", type=int, metavar="ID", help="withdraw a notice")
    what.add_argument("--import", dest="import_file", type=Path, metavar="FILE",
                      help="notices from a CSV file: scope,ref,starts,ends,source,note")
    p.add_argument("--from", dest="start", default="now", help="ISO 8601 with offset, or now (default)")
    p.add_argument("--until", default=None, help="ISO 8601 with offset (default: until revoked)")
    p.add_argument("--source", default=None, help="who issued it, and when (required)")
    p.add_argument("--note", default=None)
    p.add_argument("--travel-config", type=Path, default=None, help=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true", help="print JSON")
    state_args(p)
    p.set_defaults(func=cmd_suspend)
