"""A local replica of www.itp6.com for tests, demos and benchmarks (stdlib only).

``build_site`` draws a deterministic site of synthetic articles in the JustNews theme's markup (6.x and
5.x), ``Site.render`` answers any path, ``Site.gold`` tells what a perfect extractor returns,
``ReplicaServer`` serves the site on 127.0.0.1 and ``rename_theme_classes`` strips a page of the theme's
class names for testing the generic fallback extractor. ``PROFILES`` name the server's manners (WordPress
core's, a page cache's, the friendly default) and ``SimulatedCalendar`` lets simulated days change the site.
"""

from __future__ import annotations

from .calendar import ChangeEvent, ChangeRates, SimulatedCalendar
from .profiles import PROFILES, Profile
from .rename import rename_theme_classes
from .server import ReplicaServer
from .site import DEFAULT_NOW, ArticleSpec, Site, build_site

__all__ = [
    "DEFAULT_NOW",
    "PROFILES",
    "ArticleSpec",
    "ChangeEvent",
    "ChangeRates",
    "Profile",
    "ReplicaServer",
    "SimulatedCalendar",
    "Site",
    "build_site",
    "rename_theme_classes",
]
