"""Reading the data files: the operator's own files and the shipped layers (:mod:`.files`), the
scheduled ferries and piers (:mod:`.ferries`), coordinate systems including GCJ-02
(:mod:`.coordinates`), the operator's organisational layers: supply stations, demonstration
posts and responsibility zones (:mod:`.organisation`), the operator's list of powered islands
over the polygons (:mod:`.island_overlay`) and people on the 2020 census basis (:mod:`.census`).
Importing the operator's files into a data overlay is :mod:`islandcover.data_import`.
"""

__all__ = ["census", "coordinates", "ferries", "files", "island_overlay", "organisation"]
