"""`tsstore series count|stale|delete|rename|deletions`: the series lifecycle on the command
line (tsstore.lifecycle.local finds the store, or the running server that must do it)."""
from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import socket
import sys
import time
from datetime import datetime, timezone

EPILOG = ("Deletes and renames go through the server that ingests into --data-dir when one runs "
          "(it stops holding those series first); with none, the store is changed here. On Cassandra "
          "(--store) the store is changed here: delete series no ingest node still receives "
          "(README: Series lifecycle).")


def add_series_command(sub) -> None:
    p = sub.add_parser("series", help="what the store holds, by subtree; stale series; delete and rename",
                       description="Series in the store: count, list stale, delete, rename (README: Series lifecycle).",
                       epilog=EPILOG)
    actions = p.add_subparsers(dest="action", required=True)
    count = actions.add_parser("count", help="series under each node a glob matches, most first",
                               description="The cardinality of each subtree: `tsstore series count 'servers.*'` lists "
                                           "every child of servers with the series under it; `'*.*' --limit 10` the "
                                           "ten two-level prefixes with the most series.")
    count.add_argument("glob", help="a Graphite glob (servers.*, *.*, dc1.{api,web}.*)")
    count.add_argument("--limit", type=int, default=50, help="lines at most (default 50)")
    _where(count)

    stale = actions.add_parser("stale", help="series not written since a time",
                               description="Series a glob or tag expressions select whose last write is before "
                                           "--before (to within an hour: README: Series lifecycle).")
    _selection_args(stale, before_required=True)
    _where(stale)

    delete = actions.add_parser("delete", help="delete series by glob or tag expression (try --dry-run first)",
                                description="Delete the series a glob selects (a branch: everything under it) or tag "
                                            "expressions select, with their points, tree nodes and tags; with "
                                            "--before, only those not written since. Logged with what it removed.",
                                epilog=EPILOG)
    _selection_args(delete, before_required=False)
    delete.add_argument("--dry-run", action="store_true", help="list what would be deleted, delete nothing")
    _where(delete)

    rename = actions.add_parser("rename", help="move a subtree to another path", epilog=EPILOG,
                                description="Every series under FROM (and FROM itself if it is one) is copied, every "
                                            "level, to the same name under TO, then deleted; refused when a series "
                                            "under TO exists.")
    rename.add_argument("source", metavar="FROM", help="a dotted path, e.g. servers.old01")
    rename.add_argument("target", metavar="TO", help="a dotted path, e.g. servers.web01")
    rename.add_argument("--dry-run", action="store_true", help="list what would move, change nothing")
    _where(rename)

    deletions = actions.add_parser("deletions", help="the deletion log: what was deleted, when, by whom")
    deletions.add_argument("--since", default="-30d", help="from when (an at-time: -30d, -2h, an epoch; default -30d)")
    deletions.add_argument("--limit", type=int, default=1000, help="names at most (default 1000)")
    _where(deletions)


def _where(p) -> None:
    where = p.add_mutually_exclusive_group()
    where.add_argument("--data-dir", default="tsstore-data", help="the embedded store's data dir (default ./tsstore-data)")
    where.add_argument("--store", help="cassandra://host[,host...][:port]/keyspace")
    p.add_argument("--flush-interval", type=float, default=10.0,
                   help="the server's flush_interval, for how recent a last write may be unrecorded (default 10)")


def _selection_args(p, before_required: bool) -> None:
    p.add_argument("globs", nargs="*", metavar="GLOB", help="Graphite globs (a branch stands for everything under it)")
    p.add_argument("--tagged", action="append", default=[], metavar="EXPR",
                   help="a tag expression as seriesByTag takes it ('dc=dc1', 'name=~disk.*'); repeat: all must hold")
    p.add_argument("--before", required=before_required,
                   help="only series not written since this at-time (-30d, 2026-11-01, an epoch)")


def _at(text: str) -> int:
    from tsstore.query import attime

    return attime.parse_time(text, datetime.now(timezone.utc))


def _requester() -> dict:
    return {"via": "cli", "user": getpass.getuser(), "host": socket.gethostname()}


TIME_OPTIONS = ("--before", "--since")


def joined_time_values(argv: list[str]) -> list[str]:
    """`--before -30d` as `--before=-30d`: argparse takes a value starting with '-' for an
    option, and at-times relative to now do."""
    out, i = [], 0
    while i < len(argv):
        if argv[i] in TIME_OPTIONS and i + 1 < len(argv) and argv[i + 1].startswith("-"):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
            continue
        out.append(argv[i])
        i += 1
    return out


def run_series_command(args) -> int:
    from tsstore.index.globs import GlobError
    from tsstore.query.attime import AtTimeError
    from tsstore.store.errors import StoreUnavailable
    from tsstore.write_channel import ChannelError

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)  # index builds, progress
    name = f"tsstore series {args.action}"
    if getattr(args, "limit", 1) < 1:
        print(f"{name}: --limit must be 1 or more", file=sys.stderr)
        return 2
    where = args.store or args.data_dir
    try:
        return asyncio.run(_ACTIONS[args.action](args, where))
    except (GlobError, AtTimeError) as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # SelectionError, TagQueryError: what to change is in the message
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
    except (OSError, StoreUnavailable, ChannelError) as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 1


async def _count(args, where: str) -> int:
    from tsstore.lifecycle.local import count_series

    counted = await count_series(where, args.glob)
    width = max((len(path) for path, _ in counted[: args.limit]), default=4)
    for path, n in counted[: args.limit]:
        print(f"{path:<{width}}  {n:>12,}")
    more = len(counted) - args.limit
    print(f"{len(counted):,} nodes match {args.glob!r}, {sum(n for _, n in counted):,} series under them"
          + (f" ({more:,} more nodes not shown: --limit)" if more > 0 else ""), file=sys.stderr)
    return 0


def _selection(args):
    from tsstore.lifecycle.selection import Selection

    selection = Selection(tuple(args.globs), tuple(args.tagged), _at(args.before) if args.before else None)
    selection.check()  # before the store is opened
    return selection


async def _stale(args, where: str) -> int:
    from tsstore.lifecycle.local import lifecycle_at
    from tsstore.lifecycle.selection import MAX_SERIES

    selection = _selection(args)
    async with lifecycle_at(where, args.flush_interval) as lifecycle:
        report = await lifecycle.stale(selection, MAX_SERIES)
    for entry in report["stale"]:
        last = entry["last_write"]
        print(f"{entry['name']}  {_when(last) if last is not None else 'no point stored'}")
    print(f"{report['series']:,} series not written since {_when(selection.before)}"
          + (" (the first 1,000 shown)" if report["names_cut"] else ""), file=sys.stderr)
    return 0


async def _delete(args, where: str) -> int:
    from tsstore.lifecycle.local import lifecycle_at

    selection = _selection(args)
    async with lifecycle_at(where, args.flush_interval) as lifecycle:
        report = await lifecycle.delete(selection, args.dry_run, _requester())
    for n in report["names"]:
        print(n)
    cut = " (the first 1,000 listed)" if report["names_cut"] else ""
    if args.dry_run:
        print(f"dry run: {report['series']:,} series would be deleted{cut}; nothing was", file=sys.stderr)
    elif not report["series"]:
        print("nothing matched: no series deleted", file=sys.stderr)
    else:
        print(f"deleted {report['deleted']:,} series{cut}", file=sys.stderr)
    return 0


async def _rename(args, where: str) -> int:
    from tsstore.lifecycle.local import lifecycle_at

    async with lifecycle_at(where, args.flush_interval) as lifecycle:
        report = await lifecycle.rename(args.source, args.target, args.dry_run, _requester())
    for pair in report["renames"]:
        print(f"{pair['from']} -> {pair['to']}")
    if args.dry_run:
        print(f"dry run: {report['series']:,} series would move; nothing did", file=sys.stderr)
    elif not report["series"]:
        print(f"no series under {args.source!r}: nothing renamed", file=sys.stderr)
    else:
        print(f"renamed {report['renamed']:,} series", file=sys.stderr)
    return 0


async def _deletions(args, where: str) -> int:
    from tsstore.lifecycle.local import deletions_at

    rows = await deletions_at(where, _at(args.since), args.limit)
    last_request = None
    for at, name, request in rows:
        if request != last_request:
            last_request = request
            print(f"# {_when(at)} {json.dumps(json.loads(request), sort_keys=True)}")
        print(name)
    print(f"{len(rows):,} series deleted since {_when(_at(args.since))}"
          + (" (--limit reached)" if len(rows) >= args.limit else ""), file=sys.stderr)
    return 0


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


_ACTIONS = {"count": _count, "stale": _stale, "delete": _delete, "rename": _rename, "deletions": _deletions}
