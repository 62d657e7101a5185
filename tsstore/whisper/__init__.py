"""Bringing Graphite's whisper history into tsstore (`tsstore import-whisper`): reader parses
a .wsp file, convert maps its archives onto a series' rollups, importer walks the trees and
writes (into the store, or through the running server's write channel), progress reports."""
