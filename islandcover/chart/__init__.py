"""The beacon charts (航标图): one scenario (:mod:`.beacon`), a typhoon replay with a time slider
(:mod:`.replay`), and what they share (:mod:`.layers`).
"""

__all__ = ["beacon", "layers", "replay"]
