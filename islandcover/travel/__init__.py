"""The travel network and the questions asked of it: the network itself (:mod:`.network`), boats
and their wind limits (:mod:`.vessels`), the weather (:mod:`.weather`), the graph types
(:mod:`.graph`), places a route starts or ends at (:mod:`.places`), nearest team, routes and
cut-off islands (:mod:`.routing`), the link status board (:mod:`.links`). A route request stays
inside this package.
"""

__all__ = ["graph", "links", "network", "places", "routing", "vessels", "weather"]
