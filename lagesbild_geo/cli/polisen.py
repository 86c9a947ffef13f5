"""``lagesbild polisen hämta``: keep a kommun's own archive of the police events feed."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import InputError


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "polisen",
        help="the police events feed: fetch the latest events into a local archive",
        description="Polisens händelser (polisen.se/api/events). The API returns only the latest "
        "events: run `lagesbild polisen hämta` daily (cron, a systemd timer or Windows Task "
        "Scheduler; see docs/polisen-feed.md) to build the kommun's own history, then "
        "`lagesbild build --incidents ARCHIVE --kommun NAME ...`.",
    )
    sub = p.add_subparsers(dest="polisen_command", metavar="COMMAND")
    sub.required = True
    h = sub.add_parser(
        "hämta", aliases=["hamta"],
        help="fetch the latest events and add them to the archive (no duplicates)",
        description="Fetch the police's latest events for the kommun (and its län: events of the "
        "län that name the kommun are the kommun's) and add the new ones to ARCHIVE, a JSON file in "
        "the API's own format. An event already archived is kept once (by id); when the police "
        "changed its text, the newer version replaces it. Offline, the archive is left unchanged "
        "and the command says so (exit code 1).",
    )
    h.add_argument("--kommun", metavar="NAME|CODE",
                   help="the kommun by name or code (Stockholm, 0180); without it every event is kept")
    h.add_argument("--archive", metavar="FILE", required=True,
                   help="the archive (created when missing), e.g. polisen_stockholm.json")
    h.add_argument("--url", default=None, help="the API's address (default https://polisen.se/api/events)")
    h.add_argument("--from-file", metavar="FILE", action="append", default=None,
                   help="add the events of a saved answer of the API (a JSON list, e.g. saved from the "
                        "browser, or another archive) instead of fetching; repeat for several")
    h.add_argument("--timeout", type=float, default=20.0, help="seconds to wait for an answer (default 20)")
    h.add_argument("--retries", type=int, default=3, help="attempts after a failed one (default 3)")
    h.set_defaults(handler=run_fetch)


def run_fetch(args: argparse.Namespace) -> int:
    from ..polisen import API_URL, update_archive

    if args.retries < 0 or args.timeout <= 0:
        raise InputError("lagesbild polisen hämta: --retries must be 0 or more and --timeout above 0.")
    url = args.url or API_URL
    if args.from_file and args.url:
        raise InputError("lagesbild polisen hämta: give either --url (fetch) or --from-file (saved events), not both.")
    if not args.from_file and not url.lower().startswith(("http://", "https://")):
        # a path given as --url was "an input it did not expect", or "no internet" for file://
        raise InputError(f"lagesbild polisen hämta: --url must be an http(s) address, got {url!r}. To add "
                         "events saved in a file, use --from-file FILE.")
    events = None
    if args.from_file:
        from ..polisen import read_archive

        events = []
        for f in args.from_file:
            if not Path(f).exists():
                raise InputError(f"lagesbild polisen hämta: --from-file {f}: the file does not exist.")
            events.extend(read_archive(f))
    r = update_archive(args.archive, kommun=args.kommun, url=url, timeout=args.timeout,
                       retries=args.retries, events=events)
    where = f" i {r['kommun']}" if r["kommun"] else ""
    origin = ", ".join(Path(f).name for f in args.from_file) if args.from_file else "polisen"
    print(f"Hämtade {r['fetched']} händelser från {origin}; {r['kept']}{where}: {r['new']} nya, "
          f"{r['updated']} uppdaterade, {r['unchanged']} redan i arkivet.")
    print(f"Arkivet {r['archive']} har nu {r['total']} händelser.")
    return 0
