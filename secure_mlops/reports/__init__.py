"""Renderers, one per output format, over the one finding model.

- gate output (table, json, sarif, junit): ``gate_output.render``
- report command (terminal, html, json, sarif, asff, Security Hub): ``report_command.run``.
  Its parts: ``merge`` (read and merge findings documents), ``questions`` (answer the
  questions), ``build`` (the report), one module per format (``terminal``, ``html`` with
  ``templates/``, ``report_json``, ``asff``; SARIF is ``sarif``, shared with the gate) and
  ``security_hub`` (BatchImportFindings).
"""

from __future__ import annotations


def render_gate(result, fmt: str, show_passed: bool = False) -> str:
    from .gate_output import render

    return render(result, fmt, show_passed=show_passed)


def run_report_command(**kwargs) -> int:
    from .report_command import run

    return run(**kwargs)
