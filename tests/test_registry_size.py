"""A ClinicalTrials.gov file over the size limit (50 MiB, or --max-registry-mb) is refused before it is read,
with a line naming it, while every other file is still read and its problems reported in the same run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from msckg.loader.ctgov_read import MAX_MIB_ENV, read_study_file
from msckg.loader.errors import SourceError
from tests.conftest import MINI, ROOT
from tests.test_build import fingerprint

MSCKG = str(Path(sys.executable).parent / "msckg")
GOOD = ROOT / "tests" / "fixtures" / "ctgov" / "NCT90000001-placebo-to-open-label.json"


def huge(folder: Path, mib: int = 51) -> Path:
    """A file of `mib` MiB that takes no disk (sparse): it is refused on its size, so its bytes never matter."""
    path = folder / "NCT90000099-huge.json"
    with path.open("wb") as fh:
        fh.truncate(mib * 2**20)
    return path


def padded(folder: Path, kib: int) -> Path:
    """A valid registry record made `kib` KiB long with whitespace (JSON ignores it)."""
    path = folder / "NCT90000001-padded.json"
    text = json.dumps(json.loads(GOOD.read_text(encoding="utf-8")), indent=1)
    path.write_text(text + " " * (kib * 1024 - len(text)), encoding="utf-8")
    return path


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([MSCKG, *args], capture_output=True, text=True, timeout=300)


def test_a_file_over_50_mib_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.delenv(MAX_MIB_ENV, raising=False)
    big = huge(tmp_path)
    with pytest.raises(SourceError) as exc:
        read_study_file(big)
    (p,) = exc.value.problems
    assert p.file == str(big)
    assert "51.0 MiB, over the 50 MiB limit" in p.message and "--max-registry-mb" in p.hint


def test_build_names_the_big_file_and_every_other_bad_file_and_keeps_the_store(tmp_path, built_mini):
    store, data, _ = built_mini
    before = fingerprint(store)
    big = huge(tmp_path)
    broken = tmp_path / "NCT90000098-broken.json"
    broken.write_text('{"protocolSection": {"identificationModule": ', encoding="utf-8")
    res = run("--store", str(store), "build", "--data", str(data), "--source", str(GOOD), "--source", str(big),
              "--source", str(broken))
    assert res.returncode == 1 and "Traceback" not in res.stderr
    err = " ".join(res.stderr.split())  # rich folds long lines
    assert f"{big}" in err and "over the 50 MiB limit" in err
    assert f"{broken}" in err and "ends in the middle of the JSON" in err
    assert "2 problem(s) in the sources" in err  # the good file was read too, and is fine
    assert fingerprint(store) == before


def test_the_limit_is_configurable(tmp_path):
    record = padded(tmp_path, 64)
    assert run("check", str(record)).returncode == 0
    low = run("check", "--max-registry-mb", "0.03", str(record))
    assert low.returncode == 1 and "over the 0.03 MiB limit" in " ".join(low.stderr.split())
    store = tmp_path / "store"
    shutil.copytree(MINI, tmp_path / "data")
    refused = run("--store", str(store), "build", "--data", str(tmp_path / "data"), "--max-registry-mb", "0.03", "--source", str(record))
    assert refused.returncode == 1 and str(record) in " ".join(refused.stderr.split())
    assert not (store / "current").exists()
    built = run("-q", "--store", str(store), "build", "--data", str(tmp_path / "data"), "--max-registry-mb", "1", "--source", str(record))
    assert built.returncode == 0, built.stderr
    assert (store / "current").exists()


def test_a_limit_that_is_not_positive_is_refused(tmp_path):
    res = run("check", "--max-registry-mb", "0", str(GOOD))
    assert res.returncode == 1 and "--max-registry-mb must be a positive number" in res.stderr
