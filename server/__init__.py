"""bondfloor: the floor server of a bonded warehouse."""

__version__ = "0.1.0"
