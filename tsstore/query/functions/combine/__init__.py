"""Combine: functions that make one series out of several (aggregates, groups, lists member by member)."""
