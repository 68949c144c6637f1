"""`make fuzz`: every hypothesis property at 10,000 examples and every atheris harness for 10,000 runs; figures to fuzz/last-run.md."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
RUNS = int(os.environ.get("FUZZ_RUNS", "10000"))
HARNESSES = ["records", "ctgov", "rdf", "binding", "search"]


def hypothesis_rows(stdout: str) -> list[tuple]:
    """(engine, target, examples, failing) per property from --hypothesis-show-statistics output, which
    says "10000 passing, 0 failing, and 448 invalid test cases" (older releases: "N passing examples")."""
    rows = []
    for m in re.finditer(r"(tests/test_fuzz_\w+\.py)::(\w+):\n(.*?)(?=\n\S|\Z)", stdout, re.S):
        passing = sum(int(x) for x in re.findall(r"(\d+) passing(?: examples)?", m.group(3)))
        failing = sum(int(x) for x in re.findall(r"(\d+) failing(?: examples)?", m.group(3)))
        rows.append(("hypothesis", f"{m.group(1)}::{m.group(2)}", passing + failing, failing))
    return rows


def hypothesis() -> list[tuple]:
    env = dict(os.environ, HYPOTHESIS_PROFILE="fuzz")
    t0 = time.perf_counter()
    proc = subprocess.run([PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-show-statistics",
                           *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_fuzz_*.py"))],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    log = Path(tempfile.gettempdir()) / "msckg-fuzz-hypothesis.log"
    log.write_text(proc.stdout + proc.stderr)
    print(f"hypothesis log: {log}")
    rows = hypothesis_rows(proc.stdout)
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "no output"
    return rows, summary, time.perf_counter() - t0


def atheris_run(name: str) -> tuple:
    t0 = time.perf_counter()
    proc = subprocess.run([PY, str(ROOT / "fuzz" / f"{name}.py"), f"-runs={RUNS}", f"-artifact_prefix={ROOT / 'fuzz' / 'findings'}/{name}-"],
                          cwd=ROOT, capture_output=True, text=True)
    done = re.search(r"Done (\d+) runs", proc.stderr)
    crash = "Uncaught Python exception" in proc.stderr or proc.returncode != 0
    if crash:
        (ROOT / "fuzz" / "findings" / f"{name}-crash.log").write_text(proc.stderr[-20000:])
    runs = int(done.group(1)) if done else int(re.findall(r"#(\d+)", proc.stderr)[-1]) if re.findall(r"#(\d+)", proc.stderr) else 0
    return ("atheris", f"fuzz/{name}.py", runs, 1 if crash else 0, time.perf_counter() - t0)


def main() -> int:
    (ROOT / "fuzz" / "findings").mkdir(exist_ok=True)
    rows, summary, hs = hypothesis()
    lines = ["# Last `make fuzz` run", "", f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores shared with other work (times are noisy).", "",
             "| engine | target | examples / runs | failing |", "|---|---|---:|---:|"]
    lines += [f"| {e} | `{t}` | {n:,} | {f} |" for e, t, n, f in rows]
    bad = any(f for *_, f in rows) or "failed" in summary
    for name in HARNESSES:
        e, t, n, f, s = atheris_run(name)
        bad |= bool(f)
        lines.append(f"| {e} | `{t}` | {n:,} ({s:.0f} s) | {f} |")
    lines += ["", f"hypothesis: {summary} ({hs:.0f} s)", ""]
    (ROOT / "fuzz" / "last-run.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
