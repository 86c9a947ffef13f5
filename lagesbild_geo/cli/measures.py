"""``lagesbild measures …`` (the åtgärdsplan store) and ``lagesbild followup``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from .._spreadsheet import neutralise_formulas
from ..errors import InputError, NotFoundError, ValidationError
from ..limits import load_json
from ..measures import ALREADY_IN_STORE


def _common() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--store", metavar="FILE|URL",
                   help="the store: a file, or postgresql://USER@HOST/DATABASE for a server "
                        "(default $LAGESBILD_STORE or ./lagesbild_data/atgarder.sqlite)")
    p.add_argument("--kommun", metavar="CODE|NAME",
                   help="the kommun whose areas and measures to use (needed on a server; "
                        "default $LAGESBILD_KOMMUN)")
    p.add_argument("--user", help="name recorded in the audit trail (default: login name)")
    return p


def register(subparsers: Any) -> None:
    common = _common()
    m = subparsers.add_parser(
        "measures", help="areas and measures (åtgärdsplan): list, add, import, export, history, "
                         "backup, restore",
        description="The areas-and-measures store with an audit trail: one SQLite file, or a "
                    "PostgreSQL/PostGIS server shared by several users and kommuner.")
    sub = m.add_subparsers(dest="measures_command", metavar="ACTION")
    sub.required = True

    p = sub.add_parser("list", parents=[common], help="list measures (or areas)")
    p.add_argument("--areas", action="store_true", help="list areas instead of measures")
    p.add_argument("--all", action="store_true", help="include deleted ones")
    p.add_argument("--status", help="only this status (planerad, pågående, genomförd, avbruten)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(handler=run_list)

    p = sub.add_parser("add", parents=[common], help="add a measure to an area",
                       description="Add a measure. --area is an area id or name; with "
                                   "--geometry a new area of that name is created first.")
    p.add_argument("--area", required=True, help="area id or name")
    p.add_argument("--geometry", help="for a new area: WKT, GeoJSON text or a .geojson file "
                                      "(WGS84 lon/lat)")
    p.add_argument("--title", required=True)
    p.add_argument("--categories", required=True,
                   help="target crime categories, comma separated (ids or Swedish labels)")
    p.add_argument("--status", default="planerad")
    p.add_argument("--responsible", help="kommunens förvaltning, kommunalt bolag, polisen, "
                                         "fastighetsägare, näringsliv, civilsamhälle, annan")
    p.add_argument("--start", help="start date YYYY-MM-DD")
    p.add_argument("--end", help="end date YYYY-MM-DD")
    p.add_argument("--description", default="")
    p.add_argument("--problem", default="", help="the problem or cause addressed")
    p.add_argument("--tags", help="cause tags, comma separated")
    p.add_argument("--partners", help="partners, comma separated")
    p.add_argument("--indicator", default="", help="follow-up indicator")
    p.add_argument("--next-followup", help="date of the next follow-up")
    p.add_argument("--cost", help="cost in kronor")
    p.add_argument("--agreement", default="", help="samverkansöverenskommelse")
    p.set_defaults(handler=run_add)

    p = sub.add_parser("export", parents=[common],
                       help="export to .geojson, .gpkg, .xlsx (åtgärdsplan) or .csv (åtgärdsplan)")
    p.add_argument("out", metavar="OUT")
    p.add_argument("--all", action="store_true", help="include deleted ones")
    p.add_argument("--allow-personal-data", metavar="FIELD", action="append", default=[],
                   help="publish this free-text field of the åtgärdsplan (.xlsx/.csv) although it looks "
                   "like personal data, e.g. measures.title (repeat for several; see "
                   "lagesbild_geo.privacy.FREE_TEXT_FIELDS)")
    p.set_defaults(handler=run_export)

    p = sub.add_parser("import", parents=[common], help="import areas from GeoJSON/GeoPackage")
    p.add_argument("input", metavar="FILE")
    p.add_argument("--name-column", help="the column holding area names")
    p.add_argument("--layer", help="GeoPackage layer")
    p.add_argument("--crs", help="CRS of a file that declares none (a shapefile without its .prj), "
                                 "e.g. 3011 for SWEREF 99 18 00")
    p.set_defaults(handler=run_import)

    p = sub.add_parser("history", parents=[common], help="the audit trail of a measure or area")
    p.add_argument("id", metavar="ID", nargs="?", help="measure (or area) id; all when left out")
    p.add_argument("--area", action="store_true", help="ID is an area")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(handler=run_history)

    p = sub.add_parser("backup", parents=[common],
                       help="a consistent copy of the store (safe while the app runs): an SQLite "
                            "file, or the store's own export when DEST ends in .json.gz (the "
                            "backup of a server store)")
    p.add_argument("dest", metavar="DEST")
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(handler=run_backup)

    p = sub.add_parser("restore", parents=[common],
                       help="replace the store's content with a backup or an export (the "
                            "current content is kept beside it); also moves a kommun's store "
                            "between a file and a server")
    p.add_argument("backup", metavar="BACKUP")
    p.add_argument("--no-keep", action="store_true",
                   help="do not keep a copy of the current content")
    p.set_defaults(handler=run_restore)

    p = sub.add_parser("example", parents=[common],
                       help="add Exempelkommun's example area and measure (for trying the follow-up)")
    p.add_argument("--sample-dir", default="sample_data", metavar="DIR",
                   help="folder written by `lagesbild sample` (default: sample_data)")
    p.set_defaults(handler=run_example)

    _register_server_init(sub)
    _register_followup(subparsers, common)


def _register_server_init(sub: Any) -> None:
    p = sub.add_parser(
        "server-init", help="set up (or migrate) the store in a PostgreSQL database, the "
                            "kommuner and the roles that may use them (the administrator's step)",
        description="Connect as the database administrator (a superuser, once): creates the "
                    "postgis extension, the schema 'lagesbild' with row-level security, a role "
                    "lagesbild_kommun_CODE per kommun, and grants them to the login roles the "
                    "app and the CLI use. Safe to run again; migrates an older schema. See "
                    "docs/server.md.")
    p.add_argument("--store", metavar="URL", required=True,
                   help="postgresql://ADMIN@HOST/DATABASE")
    p.add_argument("--kommun", metavar="CODE|NAME", action="append", default=[],
                   help="a kommun the database serves (repeat for several)")
    p.add_argument("--grant", metavar="ROLE=CODE[,CODE]", action="append", default=[],
                   help="let a login role use these kommuner (repeat for several roles)")
    p.set_defaults(handler=run_server_init)



def _register_followup(subparsers: Any, common: argparse.ArgumentParser) -> None:
    f = subparsers.add_parser(
        "followup", parents=[common], help="follow up a measure: before/after, WDQ, summary",
        description="Count the measure's target categories in its area, a buffer ring and the "
                    "rest of the kommun before and after its start; print the WDQ and a Swedish "
                    "summary.")
    f.add_argument("--measure", required=True, help="measure id")
    f.add_argument("--incidents", required=True, nargs="+", metavar="FILE",
                   help="incident file(s), read with lagesbild_geo.read.read_incidents")
    f.add_argument("--gazetteer", metavar="FILE", help="gazetteer for rows without coordinates")
    f.add_argument("--buffer", type=float, default=250.0, help="buffer ring width in metres")
    f.add_argument("--control", metavar="FILE",
                   help="comparison polygon (e.g. kommun.geojson); default: all incidents "
                        "outside the area and buffer")
    f.add_argument("--as-of", help="last day of the after period (default: last incident)")
    f.add_argument("--monthly", metavar="FILE", help="write the monthly series as CSV")
    f.add_argument("--json", metavar="FILE", help="write the result as JSON")
    f.set_defaults(handler=run_followup)


def _store(args: argparse.Namespace, *, must_exist: bool = False) -> Any:
    from ..measures import MeasureStore
    from ..measures.postgres import is_postgres_url

    if must_exist and args.store and not is_postgres_url(args.store) \
            and not Path(args.store).exists():
        raise InputError(f"The measure store {args.store} does not exist (a typo in --store?). "
                         "Create one with `lagesbild measures add` or `lagesbild measures example`, "
                         "or give the path of the existing store.")
    return MeasureStore(args.store, kommun=args.kommun, user=args.user)


def _print_problems(exc: ValidationError) -> None:
    for f, en, _ in exc.problems:
        print(f"  {f}: {en}" if f else f"  {en}", file=sys.stderr)


def run_list(args: argparse.Namespace) -> int:
    with _store(args, must_exist=True) as store:
        if args.areas:
            df = store.list_areas(include_deleted=args.all)
            cols = ["name", "n_measures", "area_km2", "version", "updated_by", "updated_at"]
            if args.all:
                cols.append("deleted_at")
            out = pd.DataFrame(df[cols])
            out["area_km2"] = out["area_km2"].round(3)
        else:
            df = store.list_measures(include_deleted=args.all, status=args.status)
            out = df[["title", "area_name", "status", "target_categories", "responsible",
                      "start_date", "end_date", "version", "updated_by"]].copy()
            if args.all:
                out["deleted_at"] = df["deleted_at"]
            out["target_categories"] = out["target_categories"].map(", ".join)
            for c in ("start_date", "end_date"):
                out[c] = out[c].dt.strftime("%Y-%m-%d").fillna("")
    if args.format == "csv":
        neutralise_formulas(out).to_csv(sys.stdout)
    elif args.format == "json":
        print(out.reset_index().to_json(orient="records", force_ascii=False, indent=1))
    elif out.empty:
        print("(nothing)" if not args.areas else "(no areas)")
    else:
        print(out.to_string())
    return 0


def _geometry_arg(value: str) -> Any:
    p = Path(value)
    if p.suffix.lower() in (".geojson", ".json") and p.exists():
        return load_json(p.read_bytes().removeprefix(b"\xef\xbb\xbf"), name=p.name)
    return value


def run_add(args: argparse.Namespace) -> int:
    with _store(args) as store:
        areas = store.list_areas()
        if args.area in areas.index:
            area_id = args.area
        elif args.geometry:
            # look-up and insert in one transaction: concurrent adds create one area
            try:
                area, created = store.get_or_create_area(args.area,
                                                         geometry=_geometry_arg(args.geometry))
            except ValidationError as exc:
                print("lagesbild: the measure was not saved:", file=sys.stderr)
                _print_problems(exc)
                return 1
            if created:
                for en, _ in area.notes:
                    print(f"note: {en}", file=sys.stderr)
                print(f"added area {area.id} {area.name!r}")
            area_id = area.id
        else:
            hits = areas.index[areas["name"].str.strip().str.casefold()
                               == args.area.strip().casefold()]
            if len(hits) > 1:
                raise InputError(f"{len(hits)} areas are called {args.area!r}; give the id "
                                 f"({', '.join(hits)}).")
            if len(hits) == 1:
                area_id = hits[0]
            else:
                raise NotFoundError(f"No area with id or name {args.area!r}; list them with "
                                    "'lagesbild measures list --areas', or give --geometry to "
                                    "create it.")
        try:
            m = store.add_measure(
                area_id=area_id, title=args.title, target_categories=args.categories,
                status=args.status, responsible=args.responsible, start_date=args.start,
                end_date=args.end, description=args.description, problem=args.problem,
                cause_tags=args.tags, partners=args.partners, indicator=args.indicator,
                next_followup=args.next_followup, cost=args.cost, agreement=args.agreement)
        except ValidationError as exc:
            print("lagesbild: the measure was not saved:", file=sys.stderr)
            _print_problems(exc)
            return 1
    print(f"added measure {m.id} {m.title!r} (version {m.version})")
    return 0


def run_export(args: argparse.Namespace) -> int:
    out = Path(args.out)
    suffix = out.suffix.lower()
    with _store(args, must_exist=True) as store:
        if suffix in (".geojson", ".json"):
            store.export_geojson(out, include_deleted=args.all)
        elif suffix == ".gpkg":
            store.export_gpkg(out, include_deleted=args.all)
        elif suffix == ".xlsx":
            store.export_plan_excel(out, include_deleted=args.all,
                                    allow_personal_data=args.allow_personal_data)
        elif suffix == ".csv":
            store.export_plan_csv(out, include_deleted=args.all,
                                  allow_personal_data=args.allow_personal_data)
        else:
            raise InputError(f"Cannot export to {out.name!r}: use a name ending in .geojson, "
                             ".gpkg, .xlsx or .csv.")
        n = len(store.list_measures(include_deleted=args.all))
    print(f"wrote {out} ({n} measures)")
    return 0


def run_import(args: argparse.Namespace) -> int:
    with _store(args) as store:
        before = len(store.list_measures())
        try:
            areas = store.import_areas(args.input, name_column=args.name_column,
                                       layer=args.layer, crs=args.crs)
        except ValidationError as exc:
            print(f"lagesbild: nothing imported from {args.input}:", file=sys.stderr)
            _print_problems(exc)
            return 1
        added = len(store.list_measures()) - before
    for a in areas:
        print(f"{a.id}  {a.name}")
        for en, _ in a.notes:
            print(f"  note: {en}")
    again = sum(ALREADY_IN_STORE in a.notes for a in areas)
    print(f"imported {len(areas) - again} areas" + (f" and {added} measures" if added else "")
          + (f"; {again} already in the store (the same name and boundary) not imported again" if again else ""))
    return 0


def run_history(args: argparse.Namespace) -> int:
    with _store(args, must_exist=True) as store:
        h = store.history(args.id, entity="area" if args.area else "measure")
    if args.format == "json":
        print(h.to_json(orient="records", force_ascii=False, indent=1))
        return 0
    if h.empty:
        print("(no changes recorded)")
        return 0
    for _, r in h.iterrows():
        print(f"{r['at']}  v{r['version']}  {r['action']:<7}  {r['user']}  "
              f"{r['entity']} {r['entity_id']}")
        if r["action"] == "update":
            for k in r["fields"]:
                print(f"    {k}: {r['before'].get(k)!r} -> {r['after'].get(k)!r}")
    return 0


def run_backup(args: argparse.Namespace) -> int:
    with _store(args, must_exist=True) as store:
        dest = store.backup(args.dest, overwrite=args.overwrite)
        n = len(store.list_measures(include_deleted=True))
    print(f"wrote {dest} ({n} measures)")
    return 0


def run_example(args: argparse.Namespace) -> int:
    from ..sample import add_example_measures

    truth = Path(args.sample_dir) / "truth.json"
    if not truth.exists():  # check before the store file is created
        raise InputError(f"{truth} does not exist; write the sample first with "
                         f"`lagesbild sample {args.sample_dir}` or pass --sample-dir.")
    with _store(args) as store:
        added = add_example_measures(store, args.sample_dir, user=args.user or "exempel")
        where = store.location
    if added:
        print(f"added the example area and measure {added[0]} to {where}")
    else:
        print(f"{where} already has the example area; nothing added")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    from ..measures import default_store, restore_backup
    from ..measures.postgres import is_postgres_url, redact_url

    store = args.store or default_store()
    kept = restore_backup(args.backup, store, kommun=args.kommun, keep_current=not args.no_keep)
    where = redact_url(str(store)) if is_postgres_url(str(store)) else store
    print(f"restored {where} from {args.backup}")
    if not args.no_keep and str(kept) != str(store):
        print(f"the previous content is kept in {kept}")
    return 0


def run_server_init(args: argparse.Namespace) -> int:
    from ..measures.postgres import init_server, is_postgres_url, redact_url

    if not is_postgres_url(args.store):
        raise InputError(f"--store {args.store!r}: server-init sets up a PostgreSQL database; "
                         "give postgresql://ADMIN@HOST/DATABASE. An SQLite file needs no set-up.")
    grants: dict[str, list[str]] = {}
    for g in args.grant:
        role, sep, codes = g.partition("=")
        if not sep or not role.strip() or not codes.strip():
            raise InputError(f"--grant {g!r}: write ROLE=CODE or ROLE=CODE,CODE (e.g. "
                             "lagesbild_app=0180).")
        grants.setdefault(role.strip(), []).extend(c.strip() for c in codes.split(",")
                                                   if c.strip())
    r = init_server(args.store, kommuner=args.kommun, grant=grants)
    what = ("created" if r["created"] else f"migrated from version {r['migrated_from']}"
            if r["migrated_from"] else "already up to date")
    print(f"{redact_url(args.store)}: measure store schema version {r['version']} ({what})")
    for k in r["kommuner"]:
        print(f"kommun {k}: role lagesbild_kommun_{k}")
    for role, ks in r["granted"].items():
        print(f"{role} may use kommun {', '.join(ks)}")
    return 0


def run_followup(args: argparse.Namespace) -> int:
    from ..followup import followup
    from ..geocode import place_pending
    from ..read import read_incidents

    frames = []
    for f in args.incidents:
        res = read_incidents(f)
        if args.gazetteer is not None:
            res = place_pending(res, args.gazetteer)
        frames.append(res.placed)
        print(f"{f}: {len(res.placed)} placed incidents", file=sys.stderr)
    incidents = pd.concat(frames, ignore_index=True)
    control = None
    if args.control:
        import geopandas as gpd

        control = gpd.read_file(args.control).to_crs(4326).geometry.union_all()
    with _store(args, must_exist=True) as store:
        measure = store.get_measure(args.measure)
        r = followup(measure, incidents, store=store, buffer_m=args.buffer, control=control,
                     as_of=args.as_of)
    print(f"{r.title}: before {r.before[0]}–{r.before[1]}, after {r.after[0]}–{r.after[1]}")
    print(r.counts.to_string())
    w = r.wdq
    print(f"WDQ {w.wdq:.3f} ({w.band}: {w.band_en}); success measure {w.success_measure:.4f}, "
          f"displacement measure {w.displacement_measure:.4f}, total net effect "
          f"{w.total_net_effect:.1f}; p = {r.p_value:.3g}")
    print()
    print(r.summary_sv)
    if args.monthly:
        neutralise_formulas(r.monthly).to_csv(args.monthly)
    if args.json:
        doc = {"measure_id": measure.id, "title": r.title,
               "before": [d.isoformat() for d in r.before],
               "after": [d.isoformat() for d in r.after],
               "categories": list(r.categories), "buffer_m": r.buffer_m,
               "counts": r.counts.reset_index().to_dict("records"),
               "wdq": {k: (None if isinstance(v, float) and v != v else v)
                       for k, v in w.to_dict().items()},
               "p_value": None if r.p_value != r.p_value else r.p_value,
               "small_counts": r.small_counts, "summary_sv": r.summary_sv}
        Path(args.json).write_text(json.dumps(doc, ensure_ascii=False, indent=1),
                                   encoding="utf-8")
    return 0
