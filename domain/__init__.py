"""The caretrail domain: case and mentor aggregates, their events and invariants.

Pure: no I/O, no clock, no settings. Time arrives as an argument.
"""
