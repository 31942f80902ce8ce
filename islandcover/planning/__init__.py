"""What-if planning: scenarios (:mod:`.scenario`), the travel-time matrix (:mod:`.travel_matrix`),
coverage metrics and zones (:mod:`.coverage`), exact optimal siting (:mod:`.siting`).
"""

__all__ = ["coverage", "scenario", "siting", "travel_matrix"]
