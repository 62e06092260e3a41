"""`mailprobe scan` as a process: bytes in, valid JSON Lines out, resume, Ctrl-C, progress.

Offline scans (bundled database only) keep these tests free of servers; the engine's
network behaviour is tested in test_scan_engine.py and against the bed.
"""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def mailprobe(*args: str, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "mailprobe", *args],
        capture_output=True,
        cwd=ROOT,
        timeout=120,
        **kwargs,
    )


def parsed(data: bytes) -> list[dict[str, object]]:
    assert data.endswith(b"\n") or not data
    return [json.loads(line) for line in data.decode("ascii").splitlines()]


def test_stdin_bytes_give_one_valid_json_line_per_record() -> None:
    data = b"\xef\xbb\xbfgmail.com\r\n\nbad\x0bname.test\nb\xff\xfe.test\n# c\nyahoo.com\n"
    done = mailprobe("scan", "-", "--offline", input=data)
    records = parsed(done.stdout)
    assert [r["input"] for r in records] == [
        "gmail.com",
        "bad\x0bname.test",
        "b\\xff\\xfe.test",
        "yahoo.com",
    ]
    assert records[2]["error"] == "line 4 is not valid UTF-8"
    assert [r["exit_status"] for r in records] == [0, 2, 2, 0]
    assert done.returncode == 1  # some lines failed


def test_an_existing_output_file_is_not_overwritten_by_accident(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text('{"input": "x"}\n')
    done = mailprobe("scan", "-", "--offline", "--output", str(out), input=b"gmail.com\n")
    assert done.returncode == 2
    assert b"--resume" in done.stderr
    assert out.read_text() == '{"input": "x"}\n'


def test_resume_skips_finished_inputs_repairs_a_cut_line_and_appends_the_rest(
    tmp_path: Path,
) -> None:
    inputs = tmp_path / "in.txt"
    names = ["gmail.com", "yahoo.com", "gmail.com", "outlook.com", "web.de", "nope.invalid"]
    inputs.write_text("\n".join(names) + "\n")
    full = mailprobe("scan", str(inputs), "--offline")
    lines = full.stdout.splitlines(keepends=True)
    out = tmp_path / "out.jsonl"
    out.write_bytes(b"".join(lines[:3]) + lines[3][:40])  # interrupted mid-line
    done = mailprobe("scan", str(inputs), "--offline", "--output", str(out), "--resume")
    assert done.returncode == full.returncode
    records = parsed(out.read_bytes())
    assert [r["input"] for r in records] == names
    expected = parsed(full.stdout)
    assert [r["exit_status"] for r in records] == [r["exit_status"] for r in expected]
    assert [r.get("provider") for r in records] == [r.get("provider") for r in expected]


def test_ctrl_c_exits_130_and_every_written_line_is_complete(tmp_path: Path) -> None:
    inputs = tmp_path / "in.txt"
    inputs.write_text("".join(f"user{i}@gmail.com\n" for i in range(200_000)))
    out = tmp_path / "out.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "mailprobe", "scan", str(inputs), "--offline", "-o", str(out)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if out.exists() and out.stat().st_size > 50_000:
                break
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    records = parsed(out.read_bytes())
    assert 0 < len(records) < 200_000
    assert [r["input"] for r in records] == [f"user{i}@gmail.com" for i in range(len(records))]


def test_a_progress_bar_is_shown_when_stderr_is_a_terminal(tmp_path: Path) -> None:
    inputs = tmp_path / "in.txt"
    inputs.write_text("gmail.com\nnot valid\nyahoo.com\n")
    master, slave = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mailprobe", "scan", str(inputs), "--offline"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=slave,
            timeout=60,
            env={**os.environ, "COLUMNS": "100"},
        )
        os.close(slave)
        slave = -1
        shown = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(master)
        if slave >= 0:
            os.close(slave)
    text = shown.decode("utf-8", "replace")
    assert "3/3" in text
    assert "failed=1" in text
    assert len(parsed(done.stdout)) == 3


def test_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    done = mailprobe("scan", "-", "--offline", "--summary", input=b"gmail.com\n")
    assert b"line/s" not in done.stderr
    assert b"Verdicts" in done.stderr
    assert b"settings found (not tested)" in done.stderr
