"""The `tsstore` command: serve (ingest + API), ingest, api."""
from __future__ import annotations

import argparse
import sys

from tsstore import __version__
from tsstore.config import ConfigError, add_flags, settings_from_args


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tsstore", description="Graphite-compatible metrics store")
    parser.add_argument("--version", action="version", version=f"tsstore {__version__}")
    sub = parser.add_subparsers(dest="command")
    for name, help_text in (
        ("serve", "carbon listeners + HTTP API + store (default)"),
        ("ingest", "carbon listeners + store only"),
        ("api", "HTTP API only"),
    ):
        add_flags(sub.add_parser(name, help=help_text))
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] or ["serve"])
    try:
        settings = settings_from_args(args)
    except ConfigError as exc:
        print(f"tsstore: {exc}", file=sys.stderr)
        return 2
    from tsstore.ingest.schemas import SchemaError
    from tsstore.server import run_process

    try:
        run_process(settings, ingest=args.command in ("serve", "ingest"), api=args.command in ("serve", "api"))
    except SchemaError as exc:
        print(f"tsstore: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"tsstore: cannot start: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
