"""Fuzzing zkcc's readers of untrusted files: sources, plans, proofs, keys and inputs.

Every target feeds mutated files to the library functions the CLI calls and classifies the
outcome exactly like `zkcc.cli.main` does (exit 0, 1 or 2); anything that would be exit 3, a
hang, an unbounded allocation or an accepted mutated proof is a *finding*. `python -m
tests.fuzz.run` fuzzes for a time budget (`make fuzz`); tests/test_fuzz.py runs a short
deterministic slice in the default test suite. See docs/fuzzing.md.
"""
