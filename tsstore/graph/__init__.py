"""Graphs drawn as graphite-web 1.1 draws them (/render format=png, svg, pdf).

options (the graph parameters, checked) -> line / pie (layout and drawing) over canvas (skia;
png writes its PNG), with colors, ticks (the y axis), timeaxis (the x axis), legend and
typefaces (the bundled DejaVu Sans); picture puts them together into bytes.
"""
