"""Series lifecycle for operators (README: Series lifecycle), over HTTP (/tsstore/series/*)
and as `tsstore series ...`: count series per subtree, list the ones not written since a
time, delete by glob or tag expression (with a dry run), rename a subtree.

selection (which series a glob, a tag expression and a last-write bound name), operations
(deleting and renaming, through the ingest process when one holds the data), local (the
command line's way to a store: the running server's write channel, or the store itself).
"""
