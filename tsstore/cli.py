"""The `tsstore` command: serve (ingest + API), ingest, api, import-whisper, series."""
from __future__ import annotations

import argparse
import sys

from tsstore import __version__
from tsstore.config import ConfigError, add_flags, settings_from_args
from tsstore.lifecycle.command import add_series_command, joined_time_values, run_series_command


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
    _add_import_whisper(sub)
    add_series_command(sub)
    argv = argv if argv is not None else sys.argv[1:] or ["serve"]
    args = parser.parse_args(joined_time_values(argv) if argv[:1] == ["series"] else argv)
    if args.command == "import-whisper":
        return _import_whisper(args)
    if args.command == "series":
        return run_series_command(args)
    try:
        settings = settings_from_args(args)
    except ConfigError as exc:
        print(f"tsstore: {exc}", file=sys.stderr)
        return 2
    from tsstore.ingest.schemas import SchemaError
    from tsstore.server import run_process
    from tsstore.store.errors import StoreUnavailable

    try:
        run_process(settings, ingest=args.command in ("serve", "ingest"), api=args.command in ("serve", "api"))
    except SchemaError as exc:
        print(f"tsstore: {exc}", file=sys.stderr)
        return 2
    except (OSError, StoreUnavailable) as exc:
        print(f"tsstore: cannot start: {exc}", file=sys.stderr)
        return 1
    return 0


def _add_import_whisper(sub) -> None:
    p = sub.add_parser("import-whisper", help="import whisper (.wsp) files: every archive, as whisper shows it",
                       description="Import every .wsp file under each PATH (a whisper root such as "
                                   "/var/lib/graphite/whisper; names are the paths under it). Safe while tsstore "
                                   "serve runs on the same data dir or keyspace.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="whisper root directory")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--data-dir", help="the embedded store's data dir (through its running server if one holds it)")
    where.add_argument("--store", help="cassandra://host[,host...][:port]/keyspace")
    p.add_argument("--schemas-file", help="storage-schemas.conf for the rollups of new series (default: each file's archives)")
    p.add_argument("--aggregation-file", help="storage-aggregation.conf for the method and xFilesFactor (default: each file's header)")
    p.add_argument("--workers", type=int, default=0, help="processes reading files (default: one per core)")
    p.add_argument("--force", action="store_true", help="import files already imported again")
    p.add_argument("--prefix", default="", help="put before every name (when PATH is a subtree of the whisper root), e.g. 'servers.'")
    p.add_argument("--done-file", help="where imported files are recorded (default: <data dir>/import-whisper.done, "
                                       "or ./import-whisper-<keyspace>.done)")
    p.add_argument("--progress-every", type=int, default=1000, help="a progress line per N files when not on a terminal")


def _import_whisper(args) -> int:
    import asyncio

    from tsstore.ingest.schemas import SchemaError, load_aggregation_text, load_schemas_text
    from tsstore.whisper.importer import ImportOptions, run_import
    from tsstore.store.errors import StoreUnavailable
    from tsstore.write_channel import ChannelError

    if args.workers < 0 or args.progress_every < 1:
        print("tsstore import-whisper: --workers must be 0 (one per core) or more, --progress-every 1 or more", file=sys.stderr)
        return 2
    if args.store is not None and not args.store.startswith("cassandra://"):
        print(f"tsstore import-whisper: --store {args.store!r}: give cassandra://host[:port]/keyspace "
              "(the embedded store is --data-dir)", file=sys.stderr)
        return 2
    try:
        load_schemas_text(args.schemas_file)  # bad conf files are named before anything is read
        load_aggregation_text(args.aggregation_file)
    except SchemaError as exc:
        print(f"tsstore import-whisper: {exc}", file=sys.stderr)
        return 2
    opts = ImportOptions(args.paths, data_dir=args.data_dir, store_url=args.store, schemas_file=args.schemas_file,
                         aggregation_file=args.aggregation_file, workers=args.workers, force=args.force,
                         prefix=args.prefix, done_file=args.done_file, progress_every=args.progress_every)
    try:
        result = asyncio.run(run_import(opts))
    except (OSError, ChannelError, StoreUnavailable, ValueError) as exc:
        print(f"tsstore import-whisper: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("tsstore import-whisper: interrupted; run it again to go on (imported files are skipped)", file=sys.stderr)
        return 130
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
