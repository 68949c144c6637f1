"""The msckg graph: build, stores, validation, reasoning, saved queries and the command line."""
