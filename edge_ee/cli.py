"""The `edge-ee` command. Subcommands live one per module in `edge_ee.commands`; each module defines
`register(subparsers)` which adds its parser and sets `func` to a thin function that builds a typed config
and calls the library. No run state lives on the argument namespace beyond the parsed options."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from edge_ee import __version__
from edge_ee.errors import EdgeEEError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="edge-ee",
        description="Early-exit networks: train, calibrate, convert to int8 stages, run on hosts and MCUs, measure energy.",
    )
    parser.add_argument("--version", action="version", version=f"edge_ee {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    import edge_ee.commands as commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"edge_ee.commands.{info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except EdgeEEError as e:
        print(f"edge-ee {args.command}: error: {e.problem}", file=sys.stderr)
        if e.fix:
            print(f"  fix: {e.fix}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"edge-ee {args.command}: interrupted", file=sys.stderr)
        return 130
    return int(result or 0)
