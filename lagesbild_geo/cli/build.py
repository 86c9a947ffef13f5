"""``lagesbild build`` (the whole lägesbild into a folder) and ``lagesbild init`` (an example config)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._spreadsheet import neutralise_formulas
from ..config import example_config_text
from ..errors import InputError
from . import sheet_arg

if TYPE_CHECKING:
    from ..measures import MeasureStoreProtocol

DEFAULT_CONFIG = "lagesbild.toml"


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "build",
        help="build the whole lägesbild (districts, cells, hotspots, package, report) into a folder",
        description="Read every incident file, place and index the incidents, find hotspots, join "
        "them to districts and write into DIR: the district table (distrikt.csv, distrikt.xlsx "
        "with Swedish headers), the GeoJSON/GeoPackage package (cells, hotspots, districts ...) "
        "with metadata.json, lagesbild.json (the build's metadata) and rapport.html. Either "
        "--config lagesbild.toml (see `lagesbild init`) or the flags below.",
    )
    p.add_argument("--config", metavar="TOML", help="configuration file (lagesbild.toml)")
    p.add_argument("--incidents", metavar="FILE", action="append",
                   help="an incident file (repeat for several)")
    p.add_argument("--column", metavar="ROLE=NAME", action="append", default=[],
                   help="use column NAME for ROLE in every incident file, e.g. --column count=Antal "
                        "(an aggregated table) or --column date=Brottsdatum; repeat for several")
    p.add_argument("--crs", help="CRS of the coordinates of every incident file (EPSG code, e.g. 3857 for "
                                 "Web Mercator); default: recognised from the values")
    p.add_argument("--sheet", type=sheet_arg, help="Excel sheet of every incident workbook (name or 0-based number)")
    p.add_argument("--layer", help="GeoPackage layer of every incident file")
    p.add_argument("--districts", metavar="FILE", help="district layer (DeSO, RegSO, stadsdelar ...)")
    p.add_argument("--districts-crs", metavar="CRS",
                   help="CRS of a district layer that declares none (a shapefile without its .prj), "
                        "e.g. 3011 for SWEREF 99 18 00")
    p.add_argument("--gazetteer", metavar="FILE", help="address register for rows without coordinates")
    p.add_argument("--survey", metavar="FILE", help="trygghet survey, one row per respondent")
    p.add_argument("--pins", metavar="FILE", help="map survey pins")
    p.add_argument("--boundary", metavar="FILE", help="kommun boundary polygon")
    p.add_argument("--period", help="analysis period: 2025, 2025-Q2, 2025-03 or 2025-01-01/2025-06-30")
    p.add_argument("--previous-period", metavar="PERIOD",
                   help="comparison period, or 'previous' for the period just before")
    p.add_argument("--kommun", metavar="NAME|CODE",
                   help="the kommun, by name or 4-digit code (0180 or Stockholm): the police feed's "
                   "rows of other kommuner and of the län are left out, and a national district "
                   "layer is narrowed to the kommun")
    p.add_argument("--kommun-code", metavar="CODE", help="kommun code (4 digits)")
    p.add_argument("--places", metavar="FILE", action="append",
                   help="a place layer for placing the police feed's rows by the places their text "
                   "names (stadsdelar, basområden, a CSV of localities with lat/lon); repeat for several")
    p.add_argument("--population", metavar="FILE",
                   help="population per area (SCB's DeSO population for RegSO districts: summed "
                   "through --population-key)")
    p.add_argument("--population-key", metavar="FILE",
                   help="SCB's key table between the population table's areas and the districts "
                   "(DeSO → RegSO, by code or by name)")
    p.add_argument("--categories", metavar="LIST",
                   help="count only these categories (comma-separated ids, e.g. vald,ran,stold)")
    p.add_argument("--exclude-categories", metavar="LIST",
                   help="leave these categories out (comma-separated; default ej_brott, the police "
                   "feed's events that are not crimes; '' counts every category)")
    p.add_argument("--resolution", type=int, help="H3 resolution (default 9)")
    p.add_argument("--no-clusters", action="store_true", help="skip density clusters")
    p.add_argument("--no-emerging", action="store_true", help="skip emerging hotspots")
    p.add_argument("--emerging-time-step", metavar="N", type=int,
                   help="previous periods in each emerging-hotspot Gi* neighbourhood "
                        "(default 1 as ArcGIS; 0 = spatial only)")
    p.add_argument("--created-at", metavar="ISO", help="fixed creation time (byte-identical outputs)")
    p.add_argument("--out", metavar="DIR", help="output folder (default: [outputs] dir of the config)")
    p.add_argument("--store", metavar="FILE|URL",
                   help="measure store, a file or postgresql://... (areas and measures go into "
                        "the package and the report); on a server the kommun is --kommun / "
                        "--kommun-code or $LAGESBILD_KOMMUN")
    p.add_argument("--include-points", action="store_true",
                   help="also export individual incident positions (off by default: privacy; "
                   "the metadata then carries a warning)")
    p.add_argument("--allow-personal-data", metavar="FIELD", action="append", default=[],
                   help="publish this free-text field (areas.name, measures.title, "
                   "districts.district_name …) although it looks like personal data; without it "
                   "such a value stops the build's package and report (repeat for several)")
    p.add_argument("--rejected", metavar="FILE",
                   help="write the rejected rows (source, row number, reason, raw values) to a .csv "
                        "written for Swedish Excel like distrikt.csv (';'-separated, UTF-8 with BOM); "
                        "not into DIR: they hold raw source text")
    p.add_argument("--pending", metavar="FILE",
                   help="write the pending rows (only an address or a place name, not placed without "
                        "--gazetteer; not rejected) to a .csv, written as --rejected")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=run_build)

    q = subparsers.add_parser(
        "init",
        help="write a commented example lagesbild.toml (Exempelkommun)",
        description="Write a commented example configuration for Exempelkommun; its paths point "
        "at the sample data (write it with `lagesbild sample sample_data`).",
    )
    q.add_argument("path", metavar="PATH", nargs="?", default=DEFAULT_CONFIG,
                   help=f"where to write (default {DEFAULT_CONFIG})")
    q.add_argument("--sample-dir", metavar="DIR", default=None,
                   help="folder of the sample data (default: sample_data beside PATH)")
    q.add_argument("--force", action="store_true", help="overwrite an existing file")
    q.set_defaults(handler=run_init)


# ---------------------------------------------------------------------------------- init


def run_init(args: argparse.Namespace) -> int:
    path = Path(args.path)
    if path.is_dir():
        path = path / DEFAULT_CONFIG
    if path.exists() and not args.force:
        raise InputError(f"{path} exists; pass --force to overwrite it or give another PATH.")
    folder = path.resolve().parent
    if args.sample_dir is None:
        sample = folder / "sample_data"
        rel = "sample_data"
    else:
        sample = Path(args.sample_dir).resolve()
        rel = os.path.relpath(sample, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(example_config_text(rel), encoding="utf-8")
    print(f"Wrote {path} (Exempelkommun; sample data in {rel}/).")
    if not (sample / "districts.geojson").exists():
        print(f"The sample data is not in {sample} yet: run `lagesbild sample {sample}`.")
    print(f"Then: lagesbild build --config {path}")
    return 0


# ---------------------------------------------------------------------------------- build


class ProgressBar:
    """A text progress bar on stderr."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.last = ""

    def __call__(self, step: str, fraction: float) -> None:
        if self.quiet:
            return
        width = 30
        filled = round(fraction * width)
        line = f"[{'#' * filled}{'.' * (width - filled)}] {fraction * 100:3.0f}% {step}"
        if self.tty:
            print("\r" + line.ljust(60), end="", file=sys.stderr, flush=True)
        elif line != self.last:
            print(line, file=sys.stderr, flush=True)
        self.last = line

    def close(self) -> None:
        if not self.quiet and self.tty:
            print(file=sys.stderr)


def column_flags(items: Sequence[str], *, example: str) -> dict[str, str]:
    """``--column ROLE=NAME`` flags as a mapping (the last flag of a role wins); an
    :class:`InputError` for a flag not of that form (``example`` shows one)."""
    columns: dict[str, str] = {}
    for item in items:
        role, sep, col = item.partition("=")
        if not sep or not role.strip() or not col.strip():
            raise InputError(f"--column wants ROLE=NAME (e.g. --column {example}), got {item!r}")
        columns[role.strip()] = col.strip()
    return columns


def _columns(items: Sequence[str]) -> dict[str, str]:
    """``--column ROLE=NAME`` flags as a mapping (checked: known roles, one column each)."""
    from ..pipeline import check_column_roles

    columns = column_flags(items, example="count=Antal")
    check_column_roles(columns, form="--column {role}={column}")
    return columns


def _config(args: argparse.Namespace) -> Any:
    from ..pipeline import PipelineConfig, SourceConfig, load_config

    if args.config:
        cfg = load_config(args.config)
    elif args.incidents:
        cfg = PipelineConfig()
    else:
        raise InputError("lagesbild build needs --config lagesbild.toml or at least one --incidents FILE "
                         "(create an example config with `lagesbild init`).")
    changes: dict[str, Any] = {}
    if args.incidents:
        changes["incidents"] = tuple(SourceConfig(path=p) for p in args.incidents)
    columns = _columns(getattr(args, "column", None) or [])
    if columns:
        changes["incidents"] = tuple(
            dataclasses.replace(s, columns={**(s.columns or {}), **columns})
            for s in changes.get("incidents", cfg.incidents))
    how = {k: v for k in ("crs", "sheet", "layer") if (v := getattr(args, k, None)) is not None}
    if how:  # every incident file (the flags' files, or the config's)
        changes["incidents"] = tuple(dataclasses.replace(s, **how) for s in changes.get("incidents", cfg.incidents))
    for flag, key in (("districts", "districts"), ("gazetteer", "gazetteer"), ("survey", "survey"),
                      ("pins", "pins"), ("boundary", "boundary"), ("period", "period"),
                      ("previous_period", "previous_period"), ("kommun", "kommun_name"),
                      ("kommun_code", "kommun_code"), ("resolution", "resolution"),
                      ("created_at", "created_at"), ("out", "out_dir"), ("population", "population"),
                      ("population_key", "population_key"), ("categories", "categories"),
                      ("exclude_categories", "exclude_categories")):
        v = getattr(args, flag, None)
        if v is not None:
            changes[key] = v
    if getattr(args, "kommun", None) and str(args.kommun).strip().isdigit():
        changes.pop("kommun_name", None)  # --kommun 0180: a code
        changes["kommun_code"] = str(args.kommun).strip().zfill(4)
    if getattr(args, "districts_crs", None) is not None:
        changes["district_options"] = {**cfg.district_options, "crs": args.districts_crs}
    if getattr(args, "places", None):
        changes["places"] = tuple(args.places)
    if args.no_clusters:
        changes["clusters"] = False
    if args.no_emerging:
        changes["emerging"] = False
    if args.emerging_time_step is not None:
        changes["emerging_time_step"] = args.emerging_time_step
    return cfg.replace(**changes) if changes else cfg


def swedish_district_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The district summary with Swedish headers and category labels (for CSV/Excel).

    Give it a published summary (``privacy.publishable(lb).district_summary``): its
    hidden values stay empty and the column "Dolda värden" says why.
    """
    from ..districts import KOMMUN_CODE, OUTSIDE_CODE, STADSDEL_CODE, SUMMARY_LABELS_SV, TOTAL_CODE
    from ..schema import CATEGORY_LABELS

    t = summary.reset_index()
    # the level rows (stadsdel, kommun) only when the data has such rows
    empty_level = t["row_type"].isin(["stadsdel", "kommun"]) & (t["total"].fillna(1) == 0)
    if "total_previous" in t.columns:
        empty_level &= t["total_previous"].fillna(1) == 0
    t = t.loc[~empty_level].reset_index(drop=True)
    if "suppressed_primary" in t.columns or "suppressed_secondary" in t.columns:
        def why(r: Any) -> str:
            parts = []
            for col, text in (("suppressed_primary", "för få fall"),
                              ("suppressed_secondary", "dolt för att skydda små tal")):
                names = [SUMMARY_LABELS_SV.get(str(c), str(c)) for c in (r.get(col) or ())]
                if names:
                    parts.append(f"{text}: {', '.join(names)}")
            return "; ".join(parts)

        t["hidden"] = [why(r) for r in t.to_dict(orient="records")]
        t = t.drop(columns=[c for c in ("suppressed_primary", "suppressed_secondary", "suppressed")
                            if c in t.columns])
    t["district_code"] = t["district_code"].replace({OUTSIDE_CODE: "", TOTAL_CODE: "", KOMMUN_CODE: "",
                                                     STADSDEL_CODE: ""})
    for c in ("top1", "top2", "top3"):
        if c in t.columns:
            t[c] = t[c].map(lambda v: CATEGORY_LABELS.get(str(v), "") if pd.notna(v) else "")
    if "row_type" in t.columns:
        t["row_type"] = t["row_type"].map({"district": "distrikt", "stadsdel": "stadsdelsnivå",
                                           "kommun": "kommunnivå", "outside": "utanför", "total": "totalt"})
    if "change_direction" in t.columns:
        t["change_direction"] = t["change_direction"].map(
            {"increase": "ökning", "decrease": "minskning", "no_change": "ingen säkerställd"}).fillna("")
    for c in ("change_significant",):
        if c in t.columns:
            t[c] = t[c].map({True: "ja", False: "nej"})
    labels = dict(SUMMARY_LABELS_SV)
    labels["hidden"] = "Dolda värden"
    for c in t.columns:
        if str(c).startswith("trygg_") and c not in labels:
            labels[c] = "Trygghet: " + {
                "trygg_n": "antal svarande", "trygg_n_safety": "antal svar trygghet",
                "trygg_n_worry": "antal svar oro", "trygg_otrygg_share": "andel otrygga",
                "trygg_never_out_share": "andel som aldrig går ut", "trygg_mean_worry": "medeloro (1–5)",
                "trygg_suppressed": "för få svar för att visas",
            }.get(str(c), str(c)[6:])
    return t.rename(columns=labels)


def _print_summary(lb: Any, out: Path, rejected_path: str | None = None,
                   pending_path: str | None = None) -> None:
    from ..districts import KOMMUN_CODE, OUTSIDE_CODE, STADSDEL_CODE, TOTAL_CODE

    s = lb.district_summary
    meta = lb.metadata
    period = (meta.get("period") or {}).get("label", "all dates")
    c = meta["counts"]
    title = " ".join(x for x in ("Lägesbild", meta["kommun"].get("name") or "", period) if x)
    print(f"{title}: {c['placed_in_period']} incidents in the "
          f"period ({c['placed']} placed in all, {c['pending']} pending, {c['rejected']} rejected"
          + (f", {sum(c['excluded'].values())} left out by category" if c.get("excluded") else "") + ").")
    lv = c.get("levels") or {}
    if lv.get("total") is not None:
        print(f"  levels: {lv.get('district', 0)} placed in a district, {lv.get('stadsdel', 0)} only at "
              f"stadsdel level, {lv.get('kommun', 0)} only at kommun level, {lv.get('outside', 0)} outside "
              f"every district (of {lv.get('total', 0)} in the kommun)"
              + (f"; {lv['lan_not_counted']} at län level not counted" if lv.get("lan_not_counted") else ""))
    elif lv.get("by_precision"):
        print("  precision: " + ", ".join(f"{k} {v}" for k, v in lv["by_precision"].items()))
    rej = getattr(lb, "rejected", None)
    if rej is not None and len(rej) and "reason" in rej.columns:
        by = rej["reason"].astype(str).value_counts()
        print("  rejected: " + ", ".join(f"{k} {v}" for k, v in by.items())
              + (f" (rows in {rejected_path})" if rejected_path else " (list them with --rejected FILE)"))
    pending = getattr(lb, "pending", None)
    if pending is not None and len(pending):
        print(f"  pending: {len(pending)} row(s) with only an address or a place name, not placed and "
              "not rejected"
              + (f" (rows in {pending_path})" if pending_path else " (list them with --pending FILE)"))
    for name, rep in (getattr(lb, "reports", None) or {}).items():
        for w in rep.get("warnings") or []:
            print(f"  note: {w}" if str(w).startswith(str(name)) else f"  note: {name}: {w}")
    for note in meta.get("notes") or []:
        print(f"  note: {note}")
    if len(s):
        d = s[s["row_type"] == "district"]
        top = d.sort_values(["total", "district_name"], ascending=[False, True]).head(20)
        rows = [*top.index, *(code for code in (STADSDEL_CODE, KOMMUN_CODE) if code in s.index
                              and int(s.loc[code, "total"]) > 0), OUTSIDE_CODE, TOTAL_CODE]
        has_change = "change" in s.columns
        has_hot = "n_hot_cells" in s.columns
        header = f"{'district':28s} {'total':>7s} {'per 1000':>9s}"
        header += f" {'change':>7s}" if has_change else ""
        header += f" {'hot cells':>9s}" if has_hot else ""
        header += "  top category"
        print(header)
        for code in rows:
            r = s.loc[code]
            name = str(r["district_name"])[:28]
            rate = "" if not np.isfinite(r["per_1000"]) else f"{r['per_1000']:.1f}"
            line = f"{name:28s} {int(r['total']):7d} {rate:>9s}"
            if has_change:
                mark = "*" if bool(r["change_significant"]) else " "
                line += f" {int(r['change']):+6d}{mark}"
            if has_hot:
                line += f" {int(r['n_hot_cells']):9d}"
            line += f"  {r['top1'] if pd.notna(r['top1']) else ''}"
            print(line)
        if len(d) > 20:
            print(f"(top 20 of {len(d)} districts by total; all in {out / 'distrikt.csv'})")
        if has_change:
            print("* change significant (Poisson test, alpha = settings.alpha)")
    n_hot = int(lb.hotspots["hotspot_class"].astype(str).str.startswith("hot").sum()) if (
        len(lb.hotspots) and "hotspot_class" in lb.hotspots.columns) else 0
    print(f"{len(lb.cells)} cells, {n_hot} hot spot cells, {len(lb.clusters)} clusters. Written to {out}/")


def _stamp_xlsx(path: Path, created_at: Any) -> None:
    """Give an xlsx written by openpyxl the build's ``created_at`` instead of the clock (its
    core properties and every zip entry's time), so a fixed created_at gives identical bytes."""
    import datetime as dt
    import re
    import zipfile

    try:
        t = dt.datetime.fromisoformat(str(created_at))
    except (TypeError, ValueError):
        return
    t = t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)
    stamp = t.strftime("%Y-%m-%dT%H:%M:%SZ")
    when = (max(t.year, 1980), t.month, t.day, t.hour, t.minute, t.second - t.second % 2)
    with zipfile.ZipFile(path) as zin:
        entries = [(i, zin.read(i.filename)) for i in zin.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zout:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                text = data.decode("utf-8")
                text = re.sub(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)", rf"\g<1>{stamp}\g<2>", text)
                data = text.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=when)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = info.external_attr
            zout.writestr(zi, data)


def write_excel_csv(table: pd.DataFrame, path: str | Path) -> None:
    """Write a table as Swedish Excel opens it (as ``distrikt.csv``): ``;``-separated, decimal
    comma, UTF-8 with BOM (so å, ä and ö show right), cells that would run as formulas
    neutralised."""
    neutralise_formulas(table).to_csv(path, sep=";", decimal=",", index=False, encoding="utf-8-sig")


def _pending_table(pending: pd.DataFrame) -> pd.DataFrame:
    """The pending rows for a person to read: without the empty position columns."""
    empty = ("lat", "lon", "easting", "northing", "cell", "precision")
    table = pending.drop(columns=[c for c in empty if c in pending.columns])
    first = [c for c in ("source", "source_row", "location_text") if c in table.columns]
    return table[first + [c for c in table.columns if c not in first]]


def write_outputs(
    lb: Any, out: Path, *, store: MeasureStoreProtocol | None = None,
    include_points: bool = False, allow_personal_data: Sequence[str] = (),
) -> list[Path]:
    """Write the build's files into ``out``; return their paths.

    Everything written is shareable: the district table, the package and the report
    take their numbers from the publishing step (``privacy.publishable``).
    """
    from ..export import export_package
    from ..privacy import BUILD_METADATA_NAME, check_free_text, publishable

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    pub = publishable(lb)
    if len(lb.district_summary):
        check_free_text({"districts": pub.district_summary.loc[
            pub.district_summary.get("row_type", pd.Series("district", index=pub.district_summary.index))
            == "district"]}, allow_personal_data=allow_personal_data, fields=("districts.district_name",))
        table = neutralise_formulas(swedish_district_table(pub.district_summary))
        csv = out / "distrikt.csv"
        write_excel_csv(table, csv)
        xlsx = out / "distrikt.xlsx"
        with pd.ExcelWriter(xlsx, engine="openpyxl") as xw:
            table.to_excel(xw, sheet_name="Distrikt", index=False)
        _stamp_xlsx(xlsx, lb.metadata.get("created_at"))
        written += [csv, xlsx]
    export_package(lb, out, store=store, include_points=include_points,
                   allow_personal_data=allow_personal_data)
    written += sorted(p for p in out.iterdir() if p.suffix in (".geojson", ".gpkg") or p.name == "metadata.json")
    meta = out / BUILD_METADATA_NAME
    # the build's metadata as published: its counts protected like every other figure (the
    # notes and placement report, which quote raw counts, are only printed)
    meta.write_text(json.dumps(pub.metadata, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    written.append(meta)
    from ..report import write_report

    report = out / "rapport.html"
    write_report(lb, report, store=store, allow_personal_data=allow_personal_data)
    written.append(report)
    return written


def run_build(args: argparse.Namespace) -> int:
    from ..pipeline import build_lagesbild

    cfg = _config(args)
    if not cfg.out_dir:
        raise InputError("lagesbild build: no output folder; pass --out DIR or set [outputs] dir in the config.")
    rejected_path = getattr(args, "rejected", None)
    pending_path = getattr(args, "pending", None)
    for flag, path in (("--rejected", rejected_path), ("--pending", pending_path)):
        if path and Path(path).suffix.lower() != ".csv":
            raise InputError(f"lagesbild build: {flag} {path}: give a .csv file name.")
    bar = ProgressBar(args.quiet)
    try:
        lb = build_lagesbild(cfg, progress=bar)
    finally:
        bar.close()
    out = Path(cfg.out_dir)
    if args.store:
        from ..measures import MeasureStore
        from ..measures.postgres import is_postgres_url

        if not is_postgres_url(args.store) and not Path(args.store).exists():
            raise InputError(f"lagesbild build: the measure store {args.store} does not exist.")
        kommun = cfg.kommun_code or ((lb.metadata or {}).get("kommun") or {}).get("code")
        with MeasureStore(args.store, kommun=kommun) as store:
            write_outputs(lb, out, store=store, include_points=args.include_points,
                          allow_personal_data=args.allow_personal_data)
    else:
        write_outputs(lb, out, include_points=args.include_points,
                      allow_personal_data=args.allow_personal_data)
    if rejected_path:
        write_excel_csv(lb.rejected, rejected_path)
    if pending_path:
        write_excel_csv(_pending_table(lb.pending), pending_path)
    _print_summary(lb, out, rejected_path, pending_path)
    return 0
