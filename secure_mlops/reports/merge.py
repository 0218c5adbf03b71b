"""Read findings documents (from `gate` and `audit`) and merge them into one set for the report.

Each document says what it evaluated: a `gate` document evaluated templates, an `audit`
document live resources. The report needs to know which of those sources were given, because a
question is satisfied only when its controls were evaluated on every source given (see
``questions.py``). A `remediate` document is refused: it re-audits only the resources it
touched, so it says nothing about the others (run `audit` again after remediating).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..findings import Finding, FindingsFileError, load_documents

SOURCE_OF_KIND = {"gate": "template", "audit": "live"}


@dataclass(frozen=True)
class InputDoc:
    """One findings document given to the report."""

    path: str
    kind: str
    source: str  # "template" or "live": what the document evaluated
    target: dict[str, Any]
    generated_at: str | None
    evaluated_controls: tuple[str, ...]
    findings: int
    # controls the writer declares it could not evaluate (gate: `target.not_evaluated`,
    # entries {control_id, file, reason}); "*" as file means everywhere
    not_evaluated: tuple[tuple[str, str, str], ...] = ()

    def describe(self) -> str:
        where = ""
        if self.source == "live":
            account, region = self.target.get("account"), self.target.get("region")
            if account or region:
                where = f", account {account or '?'}, region {region or '?'}"
        return f"{self.path} ({self.kind}, {self.findings} findings{where})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "source": self.source,
            "target": self.target,
            "generated_at": self.generated_at,
            "evaluated_controls": list(self.evaluated_controls),
            "findings": self.findings,
            "not_evaluated": [{"control_id": c, "file": f, "reason": r} for c, f, r in self.not_evaluated],
        }


@dataclass
class Merged:
    """All findings of all inputs, exact duplicates dropped, each with the input it came from."""

    inputs: list[InputDoc]
    findings: list[Finding]
    origins: list[int]  # per finding: index into `inputs`
    duplicates: int = 0
    sources: tuple[str, ...] = field(default=())

    def origin(self, index: int) -> InputDoc:
        return self.inputs[self.origins[index]]


def _declared_not_evaluated(target: dict[str, Any]) -> tuple[tuple[str, str, str], ...]:
    entries = target.get("not_evaluated")
    if not isinstance(entries, list):
        return ()
    return tuple((str(e["control_id"]), str(e.get("file") or "*"), str(e.get("reason") or "not evaluated"))
                 for e in entries if isinstance(e, dict) and e.get("control_id"))


def load(paths: Iterable[str | Path]) -> Merged:
    """Read and validate the documents (FindingsFileError names file and field), then merge."""
    return merge(load_documents(paths))


def merge(docs: list[dict[str, Any]]) -> Merged:
    inputs: list[InputDoc] = []
    findings: list[Finding] = []
    origins: list[int] = []
    seen: set[str] = set()
    duplicates = 0
    sources: set[str] = set()
    for doc_index, doc in enumerate(docs):
        if doc["kind"] not in SOURCE_OF_KIND:
            raise FindingsFileError(
                f"{doc.get('_path', f'document {doc_index + 1}')}: field kind: a {doc['kind']} document is not "
                f"evidence for the report: it re-audits only the resources `{doc['kind']}` touched, not the "
                "account. Run `secure-mlops audit -o FILE` after remediating and pass that file instead")
        target = doc.get("target") or {}
        source = SOURCE_OF_KIND[doc["kind"]]
        sources.add(source)
        inputs.append(InputDoc(
            path=doc.get("_path", f"document {doc_index + 1}"),
            kind=doc["kind"],
            source=source,
            target=target,
            generated_at=doc.get("generated_at"),
            evaluated_controls=tuple(doc.get("evaluated_controls") or ()),
            findings=len(doc["findings"]),
            not_evaluated=_declared_not_evaluated(target),
        ))
        for raw in doc["findings"]:
            finding = Finding.from_dict(raw)
            sources.add(finding.source.value)
            if finding.source.value == "live":
                # a live finding belongs to the account and region the document was written for
                finding.account = finding.account or target.get("account")
                finding.region = finding.region or target.get("region")
            key = json.dumps([raw, finding.account, finding.region], sort_keys=True, default=str)
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
            findings.append(finding)
            origins.append(doc_index)
    order = ("template", "live")
    return Merged(inputs=inputs, findings=findings, origins=origins, duplicates=duplicates,
                  sources=tuple(s for s in order if s in sources))
