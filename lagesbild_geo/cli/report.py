"""``lagesbild report``: the lägesbild report, or a printable profile of one area or all areas."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import InputError

DEFAULT_REPORT = "rapport.html"
DEFAULT_PROFILE_DIR = "omradesprofiler"


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "report",
        help="write the lägesbild report (rapport.html), or a printable profile per area (--area)",
        description="Build the lägesbild from --config (or read an exported --package) and write the "
        "report as one standalone HTML file. With --area ID (or the area's exact name) write a "
        "one-page profile of that area instead: map, figures, measures and follow-up, ready to print "
        "on A4; --area all writes one profile per area of the store into a folder. Profiles need "
        "--config (the incidents) and --store (the areas).",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--config", metavar="TOML", help="configuration file (lagesbild.toml)")
    src.add_argument("--package", metavar="DIR", help="an exported package (directory or lagesbild.gpkg)")
    p.add_argument("--store", metavar="FILE|URL",
                   help="measure store, a file or postgresql://... (åtgärdsplan, follow-up, areas)")
    p.add_argument("--area", metavar="ID|NAME|all",
                   help="write the profile of this area (its id or exact name), or 'all' for every area")
    p.add_argument("--out", metavar="PATH",
                   help=f"file to write (default {DEFAULT_REPORT}, or omradesprofil-<name>.html with "
                   f"--area); with --area all a folder (default {DEFAULT_PROFILE_DIR})")
    p.add_argument("--period", help="analysis period (overrides the config): 2025, 2025-Q2 …")
    p.add_argument("--created-at", metavar="ISO", help="fixed creation time (byte-identical output)")
    p.add_argument("--kommun", metavar="CODE", help="the kommun of a server store (4 digits)")
    p.add_argument("--allow-personal-data", metavar="FIELD", action="append", default=[],
                   help="print this free-text field (areas.name, measures.title …) although it looks "
                   "like personal data (repeat for several)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=run_report)


def _check(args: argparse.Namespace) -> None:
    """Refuse an impossible combination before the (slow) build."""
    if args.area and args.package:
        raise InputError("lagesbild report --area needs --config: an area profile counts the "
                         "incidents, which an exported package does not carry.")
    if args.area and not args.store:
        raise InputError("lagesbild report --area needs --store FILE|URL: the areas and their "
                         "measures live in the measure store.")


def _bundle(args: argparse.Namespace) -> Any:
    if args.package:
        from ..export import read_package

        return read_package(args.package)
    from ..pipeline import build_lagesbild, load_config
    from .build import ProgressBar

    cfg = load_config(args.config)
    changes = {k: v for k, v in (("period", args.period), ("created_at", args.created_at)) if v is not None}
    if changes:
        cfg = cfg.replace(**changes)
    bar = ProgressBar(args.quiet)
    try:
        return build_lagesbild(cfg, progress=bar)
    finally:
        bar.close()


def _open_store(args: argparse.Namespace, lb: Any) -> Any:
    if not args.store:
        return None
    from ..measures import MeasureStore
    from ..measures.postgres import is_postgres_url

    if not is_postgres_url(args.store) and not Path(args.store).exists():
        raise InputError(f"lagesbild report: the measure store {args.store} does not exist.")
    kommun = args.kommun or ((getattr(lb, "metadata", None) or {}).get("kommun") or {}).get("code")
    return MeasureStore(args.store, kommun=kommun)


def _area_id(store: Any, wanted: str) -> str:
    """The id of the area given by id or by exact name (å, ä, ö are letters: never folded)."""
    areas = store.list_areas()
    if wanted in set(map(str, areas.index)):
        return wanted
    hits = [str(i) for i, n in zip(areas.index, areas["name"], strict=True) if str(n) == wanted]
    if len(hits) == 1:
        return hits[0]
    listing = ", ".join(f"{n} ({i})" for i, n in zip(areas.index, areas["name"], strict=True)) or "none"
    if hits:
        raise InputError(f"lagesbild report --area {wanted!r}: {len(hits)} areas have that name; give "
                         f"the id instead: {', '.join(hits)}.")
    raise InputError(f"lagesbild report --area {wanted!r}: no area with that id or name in the store. "
                     f"Its areas: {listing}.")


def run_report(args: argparse.Namespace) -> int:
    from ..area_profile import area_profile_html, profile_file_name, write_area_profiles
    from ..report import write_report

    _check(args)
    lb = _bundle(args)
    store = _open_store(args, lb)
    allow = tuple(args.allow_personal_data)
    try:
        if not args.area:
            out = write_report(lb, args.out or DEFAULT_REPORT, store=store, allow_personal_data=allow)
            print(f"wrote {out}")
        elif args.area == "all":
            paths = write_area_profiles(lb, store, args.out or DEFAULT_PROFILE_DIR, allow_personal_data=allow)
            for path in paths:
                print(f"wrote {path}")
        else:
            aid = _area_id(store, args.area)
            page = area_profile_html(lb, store, aid, allow_personal_data=allow)
            path = Path(args.out) if args.out else Path(profile_file_name(str(store.get_area(aid).name), aid))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(page, encoding="utf-8")
            print(f"wrote {path}")
    finally:
        if store is not None:
            store.close()
    return 0

