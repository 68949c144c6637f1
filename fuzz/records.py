"""atheris harness: curated YAML records (msckg.loader.records.load_records); only SourceError may escape."""

import atheris

from harness import as_file, fuzz

with atheris.instrument_imports(include=["msckg"]):
    from fuzz.inputs import RECORD
    from msckg.loader.errors import SourceError
    from msckg.loader.records import load_records
    from msckg.loader.schema import default_schema

SCHEMA = default_schema()


def test_one_input(data: bytes) -> None:
    try:
        load_records([as_file(data, ".yaml")], SCHEMA)
    except SourceError:
        pass


if __name__ == "__main__":
    fuzz(test_one_input, [RECORD.encode()])
