"""Calculate: statistics derived from each series (moving windows, Holt-Winters forecasts,
lines of a statistic, regression)."""
