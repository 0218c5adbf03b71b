"""Seed code of the MLOps project templates (model build/train pipeline, model deploy)."""
