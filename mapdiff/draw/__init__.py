"""All drawing: static figures (:mod:`mapdiff.draw.plot`, one palette, one projection)
and interactive maps (:mod:`mapdiff.draw.interactive`). Results' ``plot()`` methods
delegate here; nothing in this package imports an analysis module. matplotlib and folium
are imported lazily."""
