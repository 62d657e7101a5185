"""Transform: functions that change each series' values on their own."""
