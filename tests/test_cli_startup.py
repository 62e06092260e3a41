"""The console script pauses the garbage collector while code loads, and only then."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_the_console_script_loads_the_command_line_with_the_collector_paused() -> None:
    code = (
        "import gc\n"
        "import mailprobe.cli as cli\n"
        "import mailprobe.cli.app as app\n"
        "app.main = lambda started: print(gc.isenabled())\n"
        "cli.main()\n"
    )
    assert _python(code) == "False"


def test_work_run_by_a_command_collects_garbage_again_and_skips_what_was_loaded() -> None:
    code = (
        "import gc\n"
        "from mailprobe.cli.startup import pause_collection, run_collected\n"
        "pause_collection()\n"
        "async def work():\n"
        "    return gc.isenabled(), gc.get_freeze_count() > 0\n"
        "print(run_collected(work()))\n"
    )
    assert _python(code) == "(True, True)"


def test_library_users_keep_their_collector_settings() -> None:
    code = (
        "import gc\n"
        "from mailprobe.cli.startup import resume_collection\n"
        "gc.disable()\n"
        "resume_collection()\n"
        "print(gc.isenabled(), gc.get_freeze_count())\n"
    )
    assert _python(code) == "False 0"


def test_importing_the_command_line_package_leaves_the_collector_alone() -> None:
    assert _python("import gc, mailprobe.cli; print(gc.isenabled())") == "True"
