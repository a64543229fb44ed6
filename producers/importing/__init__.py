"""Assisted registration: organisers import producers and listings from a committee's
spreadsheet, preview every row before anything is written, commit a file all or nothing,
hand producers claim codes, and export the catalogue in the same shape.

Kept free of imports so that `producers.models` can load `importing.models` early.
"""
