"""``lagesbild export`` (zip a package for the police) and ``lagesbild validate``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import InputError


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "export",
        help="zip a lägesbild package (directory or GeoPackage) for the police",
        description="Zip a package written by `lagesbild build` (a directory with GeoJSON layers, "
        "lagesbild.gpkg and metadata.json, or a single lagesbild.gpkg) into one file to hand over. "
        "The package is validated first; an invalid package is not zipped.",
    )
    p.add_argument("--from", dest="source", required=True, metavar="DIR|GPKG",
                   help="package directory or lagesbild.gpkg")
    p.add_argument("--to", dest="dest", required=True, metavar="ZIP", help="zip file to write")
    p.add_argument("--no-validate", action="store_true", help="zip without validating")
    p.set_defaults(handler=_export)

    v = subparsers.add_parser(
        "validate",
        help="check a package against its JSON Schemas and the GeoJSON rules",
        description="Check every <layer>.geojson of a package directory (or zip) against its JSON "
        "Schema, RFC 7946 rules (lon/lat in Sweden, winding, no crs) and metadata.json, then "
        "attack it as a recipient would (privacy.audit_package: no published count below "
        "min_count, no hidden value that the published figures pin to one number). Prints "
        "each problem with file, feature index and property; exit code 1 when invalid.",
    )
    v.add_argument("package", metavar="DIR", help="package directory or zip")
    v.set_defaults(handler=_validate)


def _print_problems(problems: Any) -> None:
    for r in problems.itertuples():
        where = r.file
        if r.feature is not None and r.feature == r.feature:
            where += f" feature {int(r.feature)}"
        if r.property:
            where += f" {r.property}"
        print(f"{where}: {r.message}")


def _validate(args: argparse.Namespace) -> int:
    from ..export import validate_package
    from ..privacy import audit_package

    path = Path(args.package)
    if not path.exists():
        raise InputError(f"Package {path} does not exist.")
    problems = validate_package(path)
    try:
        findings = audit_package(path)
    except InputError as exc:
        if problems.empty:
            raise
        # the files are broken: the schema problems say where; the audit cannot attack them
        _print_problems(problems)
        print(f"{path}: {len(problems)} problem(s); the privacy audit could not run: {exc}")
        return 1
    for r in findings.itertuples():
        where = f"{r.layer}.geojson feature {r.feature} {r.property}".strip()
        print(f"{where}: privacy audit: {r.kind}: {r.detail}")
    if problems.empty and findings.empty:
        print(f"{path}: valid; privacy audit: no published count below min_count, "
              "no hidden value pinned")
        return 0
    _print_problems(problems)
    print(f"{path}: {len(problems)} problem(s), {len(findings)} privacy finding(s)")
    return 1


def _export(args: argparse.Namespace) -> int:
    from ..export import zip_package

    src = Path(args.source)
    if not src.exists():
        raise InputError(f"{src} does not exist; give a package directory or a lagesbild.gpkg.")
    if src.is_dir() and not args.no_validate:
        from ..export import validate_package

        problems = validate_package(src)
        if not problems.empty:
            _print_problems(problems)
            print(f"{src}: not zipped, {len(problems)} problem(s); fix them or pass --no-validate")
            return 1
    out = zip_package(src, args.dest)
    print(f"wrote {out}")
    return 0
