"""Importing the registers a school already keeps (children, teachers) from .xlsx or .csv."""
