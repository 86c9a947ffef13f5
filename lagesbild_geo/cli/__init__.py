"""The ``lagesbild`` command line.

Each command group lives in its own module here and exposes
``register(subparsers)``; a command's handler returns the exit code.
Exit codes: 0 when it ran (even with rejected rows), 1 on an input the
library refused (with a clear message), 2 on a bad command line.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import warnings
from collections.abc import Iterator, Sequence

from .. import __version__
from ..errors import LagesbildError

# Modules under lagesbild_geo.cli that register commands, in help order.
COMMAND_MODULES: tuple[str, ...] = (
    "read",
    "sample",
    "build",
    "export",
    "report",
    "measures",
    "polisen",
)


def sheet_arg(value: str) -> str | int:
    """An Excel sheet as given on the command line (``--sheet``): a 0-based number or a name."""
    return int(value) if value.isdigit() else value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lagesbild",
        description="Build a kommun's crime and trygghet lägesbild: read, place, "
        "find hotspots, join to districts, follow up measures, export.",
    )
    parser.add_argument("--version", action="version", version=f"lagesbild_geo {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        module.register(sub)
    return parser


@contextlib.contextmanager
def _plain_warnings() -> Iterator[None]:
    """Warnings printed as one line each, ``lagesbild: warning: ...``: Python's own form
    names a file and line of the library and repeats its source line, which tells the
    person at the command line nothing (``LAGESBILD_DEBUG=1`` keeps Python's form)."""
    if os.environ.get("LAGESBILD_DEBUG"):
        yield
        return

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: object = None, line: str | None = None) -> None:
        print(f"lagesbild: warning: {message}", file=sys.stderr)

    previous = warnings.showwarning
    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = previous


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lagesbild`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with _plain_warnings():
            return int(args.handler(args) or 0)
    except LagesbildError as exc:
        print(f"lagesbild: error: {exc}", file=sys.stderr)
        return 1
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        print(f"lagesbild: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `lagesbild ... | head`: the reader left; not an error of ours
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):  # pragma: no cover - stdout without a file descriptor
            pass
        return 0
    except KeyboardInterrupt:
        print("lagesbild: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last net: never a bare traceback
        if os.environ.get("LAGESBILD_DEBUG"):
            raise
        print(f"lagesbild: error: {args.command} failed on an input it did not expect "
              f"({type(exc).__name__}: {exc}).\nCheck the files named on the command line "
              "(format, columns, CRS); if they look right, this is a bug in lagesbild_geo: "
              "please report it with the command and, if you can, the first rows of the file. "
              "Set LAGESBILD_DEBUG=1 to see the full traceback.", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
