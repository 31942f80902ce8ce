"""Reading the data files: the operator's own files and the shipped layers (:mod:`.files`), the
scheduled ferries and piers (:mod:`.ferries`), coordinate systems including GCJ-02
(:mod:`.coordinates`).
"""

__all__ = ["coordinates", "ferries", "files"]
