"""Filter Series and Filter Data: keep or drop series, or drop values."""
