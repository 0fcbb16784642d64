"""The extraction-quality benchmark behind ``benchmarks/extract_quality.py`` (its command line).

- ``corpus``: the page sets with their references (replica gold, zh, snippets, English), each page decoded once
- ``extractors``: ours, trafilatura and readability-lxml behind one call signature
- ``metrics``: per-page scores (token F1 or snippets, boilerplate leaks, ms) and the figures of a set
- ``metadata``: our ``Article`` against the replica's gold, field by field
- ``tables``: one set's side-by-side table and details, printed
- ``targets``: the PASS/MISS rows against the project's targets
"""
