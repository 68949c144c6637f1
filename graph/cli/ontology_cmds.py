"""Commands about the ontology itself: reason (HermiT)."""

from __future__ import annotations

from .common import fail, guarded, out


@guarded
def reason():
    """Check the ontology with HermiT (via owlready2; needs Java): consistency and unsatisfiable classes.

    Example: msckg reason
    """
    from msckg.graph.ontology.reason import reason as run_reason

    res = run_reason()
    if not res.consistent:
        fail("the ontology is inconsistent (HermiT)", "run 'python -m msckg.graph.ontology.reason' for the explanation")
    if res.unsatisfiable:
        fail(f"{len(res.unsatisfiable)} unsatisfiable class(es): {', '.join(res.unsatisfiable)}")
    out.print(f"[green]consistent[/green]: {res.classes} classes, {res.properties} properties, no unsatisfiable classes (HermiT, {res.seconds:.1f}s)")
