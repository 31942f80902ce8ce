"""The rule both pre-positioning plans hand teams out by (:class:`TeamPool`), worked by hand."""
from __future__ import annotations

from islandcover.typhoon.replay import PrepareItem, TeamOption, TeamPool, plan_moves


def opt(team: str, eta: float = 10.0) -> TeamOption:
    return TeamOption(team, "ST-00", "workboat", eta, "2026-09-01T08:00:00+08:00", "2026-09-01T09:00:00+08:00")


def item(island: str, team: TeamOption | None, options: list[TeamOption], urgency: str = "leave by") -> PrepareItem:
    return PrepareItem(id=island, name_zh=island, name_en=island, population=1, cut_off_from="", team=team,
                       options=options, isolation_h=24.0, cut_off_until="", urgency=urgency)


# teams A and B on island X (which will itself be cut off), C on Y (which will not), D nowhere on the model
HOME = {"A": "X", "B": "X", "C": "Y", "D": None}


def test_a_team_goes_once_and_a_guarded_island_keeps_its_last_available_team() -> None:
    pool = TeamPool(HOME, ["A", "B", "C", "D"], {"X"})
    assert pool.take([opt("A"), opt("C")]).team_id == "A"  # X has two: A may go
    assert pool.take([opt("A"), opt("B"), opt("C")]).team_id == "C"  # A is given, B is X's last
    assert pool.take([opt("B"), opt("C")]) is None
    assert pool.take([opt("B"), opt("D")]).team_id == "D"  # a team on no island is never held back


def test_an_unavailable_team_does_not_count_as_the_island_s_other_team() -> None:
    pool = TeamPool(HOME, ["A", "C"], {"X"})  # B is busy: A is X's only available team
    assert pool.take([opt("A")]) is None


def test_kept_names_guarded_islands_holding_a_team_someone_could_have_had() -> None:
    pool = TeamPool(HOME, ["A", "B", "C"], {"X"})
    first = pool.take([opt("A")])
    refused = pool.take([opt("B")])
    assert refused is None
    items = [item("P", first, [opt("A")]), item("Q", None, [opt("B")])]
    assert pool.kept(items) == ["X"]
    assert pool.kept([item("P", first, [opt("A")])]) == ["X"]  # A is from X too and still an option there
    assert pool.kept([item("R", None, [opt("C")])]) == []


def test_moves_leave_out_the_islands_without_a_team_and_the_moves_too_late() -> None:
    items = [item("P", opt("A"), [opt("A")]), item("Q", None, [opt("B")]),
             item("R", opt("C"), [opt("C")], urgency="too late"), item("S", opt("D"), [opt("D")], urgency="leave now")]
    assert plan_moves(items) == [("A", "P"), ("D", "S")]
