"""The model: :class:`ControlMap` (one release of one source, normalised), the classes
results are drawn and exported by, and areas in km² (:mod:`.measure`)."""

from .._lazy import exports

__all__, __getattr__, __dir__ = exports(
    __name__,
    {
        ".control_map": ("ControlMap", "NormalisationReport", "Provenance", "Repair"),
        ".coverage": ("Coverage",),
        ".normalisation": ("normalise",),
        ".measure": ("area_km2", "equal_area_crs", "geodesic_area_km2"),
    },
)
