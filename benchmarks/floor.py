"""The YAML parse floor: every manifest parsed with libyaml's C loader, nothing else.

`python -m benchmarks.floor DIR` walks DIR like the bench suite's `parse_floor.py pyyaml-c`:
every *.yaml, *.yml and *.json file (but a top-level corpus-manifest.json), every document
materialised with `yaml.load_all(..., CSafeLoader)`, one file at a time.
"""

from __future__ import annotations

import contextlib
import os
import sys

import yaml


def main(root: str) -> None:
    documents = 0
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            if not name.endswith((".yaml", ".yml", ".json")):
                continue
            if folder == root and name == "corpus-manifest.json":
                continue
            with open(os.path.join(folder, name), "rb") as handle, contextlib.suppress(yaml.YAMLError):
                documents += sum(1 for _ in yaml.load_all(handle.read(), Loader=yaml.CSafeLoader))
    print(f"documents={documents}")


if __name__ == "__main__":
    main(sys.argv[1])
