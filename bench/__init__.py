"""make bench: bench/run.py and its helpers (not part of the installed package)."""
