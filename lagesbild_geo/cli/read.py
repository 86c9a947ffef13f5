"""``lagesbild read``: read an incident file and say what happened to every row."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._columns import INCIDENT_ALIASES
from .._spreadsheet import neutralise_formulas
from ..errors import InputError
from . import sheet_arg
from .build import column_flags, write_excel_csv

_OUT_SUFFIXES = (".csv", ".parquet", ".geojson")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "read",
        help="read an incident file (CSV, Excel, GeoJSON, GeoPackage, police JSON) and report",
        description="Read an incident file as it arrives: recognise columns, CRS, swapped axes "
        "and times; print what was placed, left for geocoding and rejected (and why).",
    )
    p.add_argument("input", metavar="INPUT", help="the incident file")
    p.add_argument("--crs", help="CRS of the coordinates (EPSG code, e.g. 3006, 3011, 3021)")
    p.add_argument("--sheet", type=sheet_arg, help="Excel sheet (name or 0-based number)")
    p.add_argument("--layer", help="GeoPackage layer")
    p.add_argument("--gazetteer", metavar="FILE", help="geocode rows without coordinates against this gazetteer")
    p.add_argument("--districts", metavar="FILE",
                   help="place rows that name a district by name or code (precision 'area'); "
                        "without --gazetteer the other rows without coordinates stay pending")
    p.add_argument("--column", metavar="ROLE=NAME", action="append", default=[],
                   help="use column NAME for ROLE (one of " + ", ".join(INCIDENT_ALIASES) + "), e.g. "
                        "--column date=Brottsdatum; repeat for several")
    p.add_argument("--time-optional", action="store_true", help="keep rows without a usable time")
    p.add_argument("--out", metavar="FILE", help="write placed incidents (.csv, .parquet or .geojson)")
    p.add_argument("--pending", metavar="FILE", help="write rows awaiting geocoding (.csv)")
    p.add_argument("--rejected", metavar="FILE",
                   help="write rejected rows with reasons (.csv, written for Swedish Excel: "
                        "';'-separated, UTF-8 with BOM, as a build's distrikt.csv)")
    p.add_argument("--report", metavar="FILE", help="write the report as JSON")
    p.set_defaults(handler=run_read, _parser=p)


def _write_table(df: pd.DataFrame, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        out = df.copy()
        if "cell" in out.columns:
            out["cell"] = out["cell"].astype("uint64").astype("str")
        neutralise_formulas(out).to_csv(path, index=False, encoding="utf-8")
    elif suffix == ".parquet":
        df.to_parquet(path, index=False)
    else:
        import geopandas as gpd

        keep = df.drop(columns=[c for c in df.columns if c == "geometry"])
        keep = keep.assign(occurred_at=keep["occurred_at"].astype("string"),
                           cell=keep["cell"].astype("uint64").astype("str"))
        gdf = gpd.GeoDataFrame(keep, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs=4326)
        gdf.to_file(path, driver="GeoJSON", engine="pyogrio")


def _summary(report: dict[str, Any]) -> str:
    lines = [
        f"{report['source']}: {report['rows_read']} rows read ({report['format']}"
        + (f", {report['encoding']}" if report.get("encoding") else "")
        + (f", delimiter {report['delimiter']!r}" if report.get("delimiter") else "")
        + (f", sheet {report['sheet']!r}" if report.get("sheet") else "")
        + ")",
        f"  placed:   {report['placed']}"
        + (" (" + ", ".join(f"{k} {v}" for k, v in report["by_precision"].items()) + ")"
           if report["by_precision"] else ""),
        f"  pending:  {report['pending']} (no coordinates; address or place name for geocoding"
        + ("; --gazetteer FILE geocodes them" if report["pending"] else "")
        + ")",
        f"  rejected: {report['rejected']}"
        + (" (" + ", ".join(f"{k} {v}" for k, v in report["rejected_by_reason"].items()) + ")"
           if report["rejected_by_reason"] else ""),
        f"  CRS:      {report['crs_detected'] or 'none'}"
        + (f"; axes swapped ({report['swapped_rows']} rows)" if report["swapped_rows"] else "; no axes swapped"),
    ]
    if report.get("match_rate") is not None:
        lines.append(f"  geocoded: match rate {report['match_rate']:.1%} "
                     f"({', '.join(f'{k} {v}' for k, v in report['geocoded_by_tier'].items())})")
    if report.get("unknown_category_rows"):
        lines.append(f"  unknown categories (as 'ovrigt'): {report['unknown_category_rows']} rows, "
                     f"{len(report['unknown_categories'])} labels")
    lines.extend(f"  note: {w}" for w in report.get("warnings", []))
    return "\n".join(lines)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def run_read(args: argparse.Namespace) -> int:
    from ..geocode import place_pending
    from ..pipeline import check_column_roles
    from ..read import read_incidents

    parser: argparse.ArgumentParser = args._parser
    for opt in ("out",):
        val = getattr(args, opt)
        if val and Path(val).suffix.lower() not in _OUT_SUFFIXES:
            parser.error(f"--{opt} must end in .csv, .parquet or .geojson, got {val!r}")
    for opt in ("rejected", "pending"):
        val = getattr(args, opt)
        if val and Path(val).suffix.lower() != ".csv":
            parser.error(f"--{opt} must end in .csv, got {val!r}")
    path = Path(args.input)
    if not path.exists():
        raise InputError(f"File {path} does not exist. Check the path.")
    gazetteer: Any = args.gazetteer
    if args.districts:
        from ..districts import read_districts
        from ..geocode import Gazetteer

        d = read_districts(args.districts)
        # without a gazetteer the rows that name a district are placed, the others stay pending
        gazetteer = Gazetteer.from_file(args.gazetteer).with_districts(d) if args.gazetteer \
            else Gazetteer.of_districts(d)
    try:
        columns = column_flags(getattr(args, "column", None) or [], example="date=Brottsdatum")
    except InputError as exc:  # a bad command line (exit code 2)
        parser.error(str(exc))
    try:
        check_column_roles(columns, form="--column {role}={column}")
    except InputError as exc:  # a bad command line (exit code 2), not a bad file
        parser.error(f"--column: {exc}")
    result = read_incidents(
        path, columns=columns or None, crs=args.crs, sheet=args.sheet, layer=args.layer,
        time_optional=args.time_optional,
    )
    if gazetteer is not None:
        result = place_pending(result, gazetteer, unmatched="reject" if args.gazetteer else "pending")
    report = result.report
    # files first, the summary last: `lagesbild read F --out X | head` closes stdout early,
    # and a closed pipe must not cost the user the files asked for
    if args.out:
        _write_table(result.placed, Path(args.out))
    if args.pending:
        _write_table(result.pending, Path(args.pending))
    if args.rejected:
        write_excel_csv(result.rejected, args.rejected)
    if args.report:
        Path(args.report).write_text(json.dumps(_jsonable(report), ensure_ascii=False, indent=2) + "\n",
                                     encoding="utf-8")
    print(_summary(report))
    sys.stdout.flush()
    return 0
