"""The wheel installs and works outside the clone: build, ask, validate, export and the Python API from a fresh venv.

Builds the wheel from this checkout, installs it into a new virtual environment in a temporary
folder, copies data/ next to it and runs the commands a new user would, from that folder, with
nothing of the checkout on the path. The test session has no network (tests/egress_canary.py), so
the wheel is built without build isolation (`make` puts setuptools and wheel in .venv) and its
dependencies are not downloaded: the fresh venv sees the test environment's installed packages
through a .pth file (which does not activate the editable msckg there), and the test checks that
every dependency the wheel declares is among them. Marked `install`; `make test` runs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.install


def _run(cmd: list[str], cwd: Path, env: dict, timeout: int = 600) -> subprocess.CompletedProcess:
    res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, f"{' '.join(map(str, cmd))} exited {res.returncode}\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-index", "--no-build-isolation", "-w", str(out), str(ROOT)], out, env)
    (whl,) = out.glob("msckg-*.whl")
    return whl


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    """(bin folder, working folder holding a copy of data/, environment) of a fresh venv with the wheel."""
    base = tmp_path_factory.mktemp("fresh")
    assert ROOT not in base.parents, "the fresh environment must live outside the clone"
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MSCKG_STORE", "VIRTUAL_ENV")}
    env["COLUMNS"] = "100"
    py = str(venv / "bin" / "python")
    fresh_site = _run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], base, env).stdout.strip()
    dev_site = sysconfig.get_paths()["purelib"]
    Path(fresh_site, "msckg-test-dependencies.pth").write_text(dev_site + "\n", encoding="utf-8")
    _run([py, "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], base, env)
    # every dependency the wheel declares (outside extras) is installed where the fresh venv sees it
    check = ("import importlib.metadata as m, re\n"
             "reqs = [r for r in m.requires('msckg') or [] if 'extra ==' not in r]\n"
             "names = [re.split(r'[<>=!~ ;\\[]', r, maxsplit=1)[0] for r in reqs]\n"
             "for n in names: m.version(n)  # PackageNotFoundError when a dependency is missing\n"
             "print(len(names))\n")
    assert int(_run([py, "-c", check], base, env).stdout.strip()) >= 10
    work = base / "work"
    shutil.copytree(ROOT / "data", work / "copied-data")
    return venv / "bin", work, env


def test_wheel_carries_every_data_file_the_commands_read(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    tops = {n.split("/")[0] for n in names}
    assert tops == {"msckg", f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info"}, \
        f"only msckg/ is installed (no top-level graph or loader): {sorted(tops)}"
    wanted = []
    for folder, pkg in (("ontology", "ontology"), ("queries", "queries")):
        for f in (ROOT / folder).rglob("*"):
            if f.is_file() and "__pycache__" not in f.parts:
                wanted.append(f"msckg/{pkg}/{f.relative_to(ROOT / folder).as_posix()}")
    for folder in ("graph", "loader"):
        for f in (ROOT / folder).rglob("*"):
            if f.is_file() and f.suffix in (".py", ".tsv", ".yaml", ".rq", ".ttl", ".json", ".jsonld") and "__pycache__" not in f.parts:
                wanted.append(f"msckg/{folder}/{f.relative_to(ROOT / folder).as_posix()}")
    missing = sorted(set(wanted) - names)
    assert not missing, f"files in the checkout that the wheel lacks: {missing}"
    assert "msckg/graph/search/search_judgements.yaml" in names


def test_installed_msckg_builds_asks_and_validates_outside_the_clone(installed):
    bin_, work, env = installed
    msckg = str(bin_ / "msckg")
    # no checkout here and no ./data: build says what to give instead of building an empty graph
    res = subprocess.run([msckg, "build"], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 1 and "--data" in res.stderr and "Traceback" not in res.stderr, res.stderr
    res = _run([msckg, "build", "--data", "copied-data"], work, env)
    assert (work / "store" / "current").exists(), "the default store is ./store in the current folder"
    assert "built" in res.stdout
    res = _run([msckg, "ask", "trials", "--format", "csv", "--columns", "trial,registry_ids"], work, env)
    assert "NCT04014166" in res.stdout
    _run([msckg, "validate"], work, env)
    res = _run([msckg, "queries"], work, env)
    assert "response-rates" in res.stdout
    res = _run([msckg, "search-eval", "--format", "json"], work, env)
    assert '"queries": ' in res.stdout
    res = _run([msckg, "export", "--format", "jsonld", "--data-only"], work, env)
    assert '"@context"' in res.stdout


def test_installed_python_api_and_no_top_level_graph_or_loader(installed):
    bin_, work, env = installed
    code = (
        "import importlib.util, msckg, sys\n"
        "assert importlib.util.find_spec('graph') is None and importlib.util.find_spec('loader') is None\n"
        "assert 'site-packages' in msckg.__file__, msckg.__file__\n"
        "kg = msckg.open(store='store')\n"
        "rows = kg.ask('trials')\n"
        "print(sorted(r['trial'] for r in rows)[0])\n"
    )
    res = _run([str(bin_ / "python"), "-c", code], work, env)
    assert res.stdout.strip(), res.stdout
