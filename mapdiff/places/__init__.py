"""Places: the gazetteer, footprints (the one resolver :func:`as_footprint`), boundary
fetches and regions. This package imports nothing itself."""
