"""Imports point one way (views → forms → models → access, images, storage): .importlinter."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_imports_keep_the_contracts():
    checked = subprocess.run(
        [Path(sys.executable).parent / "lint-imports", "--config", ".importlinter", "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr
