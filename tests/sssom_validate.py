"""Validate SSSOM/TSV files with sssom-py (run by the interpreter of .venv-sssom, not by the project's venv).

Every file must parse, keep every table row (sssom-py drops a malformed row with only a log line),
and pass the JSON Schema, prefix-map completeness and strict CURIE checks. Prints one line per file
and exits 1 on any problem.  Usage: .venv-sssom/bin/python tests/sssom_validate.py FILE...
"""

from __future__ import annotations

import logging
import sys


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        msg = record.getMessage()
        if "Not propagating" not in msg:  # informational: a slot already set on the rows
            self.messages.append(msg)


def check(path: str) -> list[str]:
    from sssom.constants import SchemaValidationType as V
    from sssom.parsers import parse_sssom_table
    from sssom.validators import validate

    handler = _Collect()
    logging.getLogger().addHandler(handler)
    try:
        rows = sum(1 for line in open(path, encoding="utf-8") if line.strip() and not line.startswith("#")) - 1
        msdf = parse_sssom_table(path)
        problems = list(handler.messages)
        if len(msdf.df) != rows:
            problems.append(f"{rows} table rows but sssom-py read {len(msdf.df)}")
        try:
            validate(msdf, [V.JsonSchema, V.PrefixMapCompleteness, V.StrictCurieFormat], fail_on_error=True)
        except Exception as exc:  # the validators raise on the first failing check
            problems.append(f"{type(exc).__name__}: {exc}")
        problems += [m for m in handler.messages if m not in problems]
        return problems
    finally:
        logging.getLogger().removeHandler(handler)


def main(paths: list[str]) -> int:
    bad = 0
    for p in paths:
        problems = check(p)
        print(f"{'ok' if not problems else 'INVALID'}\t{p}" + "".join(f"\n\t{m}" for m in problems))
        bad += bool(problems)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
