"""The fetch cache: one raw ClinicalTrials.gov study per file, and a manifest with each file's checksum and fetch time.

A cache folder holds `NCTxxxxxxxx.json` files and `manifest.tsv` (columns below). Files are written atomically
(a temporary file renamed into place), so an interrupted fetch never leaves half a record; the manifest is rewritten
after every page. `msckg build --source-dir FOLDER` loads the records and checks each file against its checksum.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

MANIFEST = "manifest.tsv"
COLUMNS = ("nct_id", "file", "sha256", "bytes", "fetched_at", "last_update_post_date", "source_url")


@dataclass(frozen=True)
class Entry:
    """One cached record as the manifest describes it."""

    nct_id: str
    file: str
    sha256: str
    bytes: int
    fetched_at: str
    last_update_post_date: str
    source_url: str


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_manifest(folder: Path) -> dict[str, Entry]:
    """File name -> its manifest entry ({} when the folder has no manifest)."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return {}
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")), delimiter="\t")
    out = {}
    for row in rows:
        out[row["file"]] = Entry(row["nct_id"], row["file"], row["sha256"], int(row["bytes"] or 0), row["fetched_at"],
                                 row.get("last_update_post_date", ""), row.get("source_url", ""))
    return out


def write_manifest(folder: Path, entries: dict[str, Entry]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter="\t", lineterminator="\n")
    w.writerow(COLUMNS)
    for name in sorted(entries):
        e = entries[name]
        w.writerow([e.nct_id, e.file, e.sha256, e.bytes, e.fetched_at, e.last_update_post_date, e.source_url])
    _atomic_write(Path(folder) / MANIFEST, buf.getvalue().encode("utf-8"))


def store_study(folder: Path, study: dict, fetched_at: str, source_url: str) -> Entry:
    """Write one study as NCTxxxxxxxx.json (UTF-8, indented) and return its manifest entry."""
    nct = study["protocolSection"]["identificationModule"]["nctId"]
    data = (json.dumps(study, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    name = f"{nct}.json"
    _atomic_write(Path(folder) / name, data)
    last = study.get("protocolSection", {}).get("statusModule", {}).get("lastUpdatePostDateStruct", {}).get("date", "")
    return Entry(nct, name, hashlib.sha256(data).hexdigest(), len(data), fetched_at, str(last or ""), source_url)
