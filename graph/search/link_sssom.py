"""Link candidates as an SSSOM TSV for review (`msckg link --sssom FILE`)."""

from __future__ import annotations

import csv
import datetime as dt
import io

from .link_slots import AE_TERM, MATCH_AE_SLOT, SLOT_BY_NAME, Candidate, M, Task

SSSOM_COLUMNS = ["subject_id", "subject_label", "predicate_id", "object_id", "object_label", "mapping_justification",
                 "confidence", "subject_category", "match_string", "comment", "author_id", "reviewer_id"]
# free text has no term of its own: SSSOM's sssom:NoTermFound stands for it, the text is the subject_label
NO_TERM_FOUND = "sssom:NoTermFound"


def subject_category(task: Task | None) -> str:
    """The subject's class as a CURIE (SSSOM subject_category), or '' when there is none to state.

    A data task's subject is an instance of its slot's class (msckg:Condition, msckg:CellProduct,
    msckg:AdverseEventCount); an unmatched adverse-event term is an msckg:AdverseEventTerm class;
    other msckg terms and free text get no category.
    """
    if task is None:
        return ""
    slot = SLOT_BY_NAME.get(task.slot)
    if slot is not None and slot.subject_class:
        return "msckg:" + slot.subject_class[len(M):]
    if task.slot == MATCH_AE_SLOT.name:
        return "msckg:" + AE_TERM[len(M):]
    return ""


def sssom_tsv(rows: list[tuple[Task | None, str, Candidate]], prefixes: dict[str, str], set_id: str,
              floor: float | None = None) -> str:
    """Candidate mappings as an SSSOM TSV (YAML metadata in '#' lines, then the table).

    Every row is unreviewed: reviewer_id is empty. Review by filling reviewer_id (e.g. an ORCID
    CURIE) on the rows you accept, and delete or mark `predicate_modifier: Not` the rest; put the
    file in ontology/mappings/ and the next build loads the accepted rows (graph/build/mappings.py).
    """
    today = dt.date.today().isoformat()
    used = {"skos", "semapv", "msckg", "id"}
    body = []
    for task, subject_text, c in rows:
        sid = task.curie if task else NO_TERM_FOUND
        for cid in (sid, c.curie):
            if ":" in cid and not cid.startswith("http"):
                used.add(cid.split(":", 1)[0])
        body.append({
            "subject_id": sid, "subject_label": task.label if task else subject_text, "predicate_id": c.predicate,
            "object_id": c.curie, "object_label": c.label, "mapping_justification": c.justification,
            "confidence": f"{c.confidence:.3f}", "subject_category": subject_category(task),
            "match_string": c.match_string, "comment": "; ".join(c.evidence), "author_id": "", "reviewer_id": "",
        })
    out = io.StringIO()
    out.write("# curie_map:\n")
    for p in sorted(used, key=str.lower):
        if p in prefixes:
            out.write(f"#   {p}: {prefixes[p]}\n")
    out.write(f"# mapping_set_id: {set_id}\n")
    kept = f" Candidates below confidence {floor:.2f} are left out." if floor else ""
    out.write(f"# mapping_set_description: \"Candidate mappings proposed by 'msckg link'; unreviewed. Fill reviewer_id on accepted rows.{kept}\"\n")
    out.write("# license: https://creativecommons.org/licenses/by/4.0/\n")
    out.write(f"# mapping_date: {today}\n")
    out.write("# mapping_tool: msckg link\n")
    w = csv.DictWriter(out, fieldnames=SSSOM_COLUMNS, delimiter="\t", lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for r in body:
        w.writerow({k: " ".join(str(v).split()) for k, v in r.items()})
    return out.getvalue()
