"""Read-back verification: prove that what is deployed is what the templates declare.

After a stack completes, every resource of its template is read back through its own
service's API (not through CloudFormation) and its security-relevant properties are
compared with the template as deployed, with Ref/GetAtt/Sub/If resolved against the
stack's parameters, conditions and physical ids. A missing resource, a blank physical id,
a differing property, a value that cannot be resolved and a resource type without a reader
are all failures. The deployer calls :func:`verify_stacks` after every deployment;
``secure-mlops verify`` calls :func:`verify_environment`.

The readers, one per resource type, live in ``provision/readback/``.
"""

from __future__ import annotations

from typing import Any, Iterable

from .readback.resource import Mismatch, show
from .readback.stack import StackResult

__all__ = ["Mismatch", "StackResult", "read_back", "verify_stacks", "verify_environment", "print_results"]


def _stack_name(stack: Any) -> str:
    return stack if isinstance(stack, str) else stack.name


def read_back(session, stacks: Iterable[Any], progress: bool = False) -> list[StackResult]:
    """Read back each stack (names, or StackSpec-like objects with ``.name``); no output."""
    from .readback.stack import Services, StackReadBack

    services = Services(session)
    results = []
    for stack in stacks:
        name = _stack_name(stack)
        if progress:
            from .. import console

            with console.err().status(f"Reading back stack {name} ..."):
                results.append(StackReadBack(services, name).run())
        else:
            results.append(StackReadBack(services, name).run())
    return results


def verify_stacks(session, stacks: Iterable[Any], *, show_results: bool = True) -> list[Mismatch]:
    """Read back and compare the given stacks; return every mismatch (empty: verified).

    `stacks` holds stack names or objects with a ``name`` (the deployer's StackSpecs). The
    templates compared are the ones CloudFormation holds for the stacks (the templates as
    deployed). With `show_results`, the mismatches and a summary are printed to stderr.
    """
    results = read_back(session, stacks, progress=show_results)
    if show_results:
        print_results(results)
    return [m for result in results for s in result.all() for m in s.mismatches]


def print_results(results: list[StackResult]) -> None:
    """Every mismatch on one line, then a summary table (stderr)."""
    from rich.markup import escape
    from rich.table import Table

    from .. import console

    err = console.err()
    stacks = [s for result in results for s in result.all()]
    for s in stacks:
        for m in s.mismatches:
            err.print(
                f"[bold red]✗[/] stack [bold]{escape(m.stack)}[/], [bold]{escape(m.logical_id)}[/] "
                f"({escape(m.resource_type)}), property [bold]{escape(m.property)}[/]: "
                f"declared {escape(show(m.declared))}, actual {escape(show(m.actual))}"
                + ("" if m.reason == "differs" else f" [yellow]({escape(m.reason)})[/]"),
                soft_wrap=True,
            )
    table = Table(title="Read-back verification", title_justify="left")
    for col, justify in (("stack", "left"), ("status", "left"), ("resources read back", "right"),
                         ("properties compared", "right"), ("mismatches", "right")):
        table.add_column(col, justify=justify)
    for s in stacks:
        table.add_row(s.name, s.status or "-", f"{s.resources_read}/{s.resources_expected}", str(s.properties_compared),
                      f"[red]{len(s.mismatches)}[/]" if s.mismatches else "[green]0[/]")
    err.print(table)
    resources = sum(s.resources_read for s in stacks)
    compared = sum(s.properties_compared for s in stacks)
    failed = sum(len(s.mismatches) for s in stacks)
    expected = sum(s.resources_expected for s in stacks)
    summary = (f"{len(stacks)} stack(s): {resources} of {expected} resources read back, {compared} properties "
               f"compared, {failed} mismatch(es)")
    err.print(f"[bold red]✗ verification failed:[/] {summary}" if failed else f"[bold green]✓ verified:[/] {summary}")
    if any(m.logical_id == "(stack)" and m.reason == "missing" for s in stacks for m in s.mismatches):
        err.print("A stack does not exist: deploy it first (the environment's stacks: `secure-mlops provision`).")


def verify_environment(cfg, target) -> bool:
    """``secure-mlops verify``: read back every stack of the environment; True when all match."""
    from .stacks import plan_stacks

    mismatches = verify_stacks(target.session, [spec.name for spec in plan_stacks(cfg)])
    return not mismatches
