"""The 四时令 calendar: the 24 solar terms (:mod:`.solar_terms`) and the seasonal service items in
force (:mod:`.service_calendar`). Not called ``calendar``: that is a standard-library module.
"""

__all__ = ["service_calendar", "solar_terms"]
