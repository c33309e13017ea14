"""All drawing: static figures (:mod:`mapdiff.draw.plot`, the one import for every figure:
one palette, one projection; by concept in ``maps``, ``comparisons``, ``claims``,
``charts``, ``panels`` and ``context``), interactive maps (:mod:`mapdiff.draw.interactive`)
and the web pages (:mod:`mapdiff.draw.report`, :mod:`mapdiff.draw.site`). Results'
``plot()`` methods delegate here; nothing in this package imports an analysis module.
matplotlib and folium are imported lazily."""
