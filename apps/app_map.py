"""The Karta's map in the page: streamlit-folium's component, its arguments made once per map.

``st_folium`` turns a folium map into the component's arguments on every rerun: it renders
the map's templates, writes each layer out as JavaScript with its GeoJSON (about 0,2 MB on
Exempelkommun) and hashes the result, 0,05–0,15 s of a reload's script before the page's
map can start. :func:`show_map` keeps those arguments per map (data set, filter, layers,
options, base map and saved areas: :func:`app_state.map_parts_request`) and hands the same
arguments to the component on the next run, so what the browser gets is unchanged.

The arguments are what ``st_folium`` itself computes: it is called once per map with the
component held back in that thread (:func:`_held_back`), which records them. When a later
streamlit-folium no longer calls the component that way, nothing is recorded and the map is
drawn with ``st_folium`` on every run, as before.

Only pages import this module: importing streamlit-folium registers its component with
Streamlit's runtime, which the server's warm-up (:mod:`app_warm`) does not have yet.
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import app_state as S
import streamlit as st
import streamlit_folium

from lagesbild_geo.dashboard import Filters

_held = threading.local()
_install_lock = threading.Lock()


def _component(*args: Any, **kwargs: Any) -> Any:
    """streamlit-folium's component, or (while this thread is recording) its arguments kept."""
    record = getattr(_held, "record", None)
    if record is not None and not args:
        record.update(kwargs)
        return kwargs.get("default")
    return _component.real(*args, **kwargs)  # type: ignore[attr-defined]


@contextlib.contextmanager
def _held_back() -> Iterator[dict[str, Any]]:
    """Within the block, this thread's ``st_folium`` calls only record the component's
    arguments (in the yielded dict); other threads draw as usual."""
    with _install_lock:
        current = getattr(streamlit_folium, "_component_func", None)
        if current is not None and current is not _component:
            _component.real = current  # type: ignore[attr-defined]
            streamlit_folium._component_func = _component
    record: dict[str, Any] = {}
    _held.record = record
    try:
        yield record
    finally:
        _held.record = None


@st.cache_resource(max_entries=16, show_spinner=False)
def _arguments(request: tuple[Any, ...], key: str, height: int, *, _areas: Any) -> dict[str, Any] | None:
    with _held_back() as record:
        _st_folium(request, _areas, key, height)
    return dict(record) if "script" in record and "key" in record else None


def _st_folium(request: tuple[Any, ...], areas: Any, key: str, height: int) -> None:
    """``st_folium`` on a copy of the request's map parts, as the Karta draws them."""
    parts = S.map_parts_of(request, areas)
    streamlit_folium.st_folium(parts.map, key=key, height=height, width=None, returned_objects=[],
                               feature_group_to_add=parts.layers, layer_control=S.layer_control())


def show_map(filters: Filters, *, layers: Sequence[str], category: str | None = None,
             district_measure: str = "count", show_suppressed: bool = False, key: str = "karta",
             height: int = 560) -> None:
    """The Karta's map (:func:`app_state.make_map_parts`) in the page. The base map stays in
    the browser and only the layers are swapped when a filter changes (the user's zoom and
    position stay); no value comes back (the page does not rerun on a click)."""
    request, areas = S.map_parts_request(filters, layers=layers, category=category,
                                         district_measure=district_measure,
                                         show_suppressed=show_suppressed)
    arguments = _arguments(request, key, height, _areas=areas)
    real = getattr(_component, "real", None)
    if arguments is None or real is None:  # streamlit-folium changed: draw it the usual way
        _st_folium(request, areas, key, height)
        return
    real(**{**arguments, "default": copy.deepcopy(arguments.get("default"))})
