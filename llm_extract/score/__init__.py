"""Scoring records against hand-labelled gold, as SPEC.md says, and comparing runs."""
