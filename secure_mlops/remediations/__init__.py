"""Responsive controls: remediations that repair or contain drift (dry run first, never delete data)."""
