"""Print one of README.md's command blocks, so CI runs exactly what a newcomer reads.

A block is the fenced ```bash block that follows a marker comment such as
``<!-- ci: install -->`` (invisible on GitHub). ``.ci/run`` runs the `system`, `install`
and `test` blocks; the docs test checks every marked block exists. Run with the machine's
own python3: it uses only the standard library.

    python3 .ci/readme.py install
"""

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"<!-- ci: (?P<name>[a-z-]+) -->\s*```bash\n(?P<body>.*?)```", re.S)


def blocks(text=None):
    """{name: commands} of every marked block (indentation of list items removed)."""
    text = README.read_text() if text is None else text
    found = {}
    for match in BLOCK.finditer(text):
        lines = match["body"].splitlines()
        indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
        found[match["name"]] = "\n".join(line[indent:] for line in lines).strip() + "\n"
    return found


if __name__ == "__main__":
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    known = blocks()
    if name not in known:
        sys.exit(f"README.md has no block marked <!-- ci: {name} --> (found: {', '.join(known)})")
    sys.stdout.write(known[name])
