"""Validated objects for everything an owner writes: site, content, surveys, scorecards."""
