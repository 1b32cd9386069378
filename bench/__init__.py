"""The benchmark: `make bench` runs bench/run.py, which prints a table (and writes
bench/out/latest.md). A script, not a test; nothing here is imported by the project."""
