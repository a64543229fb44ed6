"""Reference data for the taxonomy app, kept as plain Python so that data migrations and
tests read the same rows. Nothing here imports Django: a migration loads it into models."""
