"""Benchmarks, run by `make bench` and never by the test suite: each is a module run with
`.venv/bin/python -m bench.<name>`, prints one line, writes bench/results/<name>.json and
exits 1 when it misses its target."""
