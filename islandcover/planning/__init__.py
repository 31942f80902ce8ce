"""What-if planning: scenarios (:mod:`.scenario`), the travel-time matrix (:mod:`.travel_matrix`),
coverage metrics and zones (:mod:`.coverage`), exact optimal siting (:mod:`.siting`, with the
Lagrangian bounds of :mod:`.lagrangian` and the capacitated models of :mod:`.capacity`), and
sweeps of many scenarios (:mod:`.sweep`).
"""

__all__ = ["capacity", "coverage", "lagrangian", "scenario", "siting", "sweep", "travel_matrix"]
