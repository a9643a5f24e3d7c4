"""Which top-level modules a source file imports: what an artefact must ship or its runtime hold."""

from __future__ import annotations

import re
from pathlib import Path

# Import statements, read line by line: ast.parse would do, but CPython 3.11 can raise a
# SystemError when another thread (the Pulumi runtime's executors) builds an AST at the same time.
_IMPORT = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import\b|import\s+([\w., ]+))", re.MULTILINE)


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for from_module, modules in _IMPORT.findall(path.read_text()):
        if from_module:
            if not from_module.startswith("."):
                names.add(from_module.split(".")[0])
        else:
            names.update(m.strip().split(".")[0] for m in modules.split(",") if m.strip())
    return names
