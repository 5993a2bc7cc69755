"""A tiny run of the benchmark: it makes its corpus, times every scenario and writes its table and JSON."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from .conftest import REPO

SCENARIOS = {("floor-1", "cold"), ("floor-2", "cold"), ("tearsheet", "cold"), ("tearsheet", "warm"),
             ("tearsheet", "one-edit"), ("tearsheet", "template-change")}


def test_bench_runs_every_scenario_and_writes_table_and_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    run = subprocess.run([sys.executable, str(REPO / "bench" / "run.py"), "--sizes", "30", "--no-baselines",
                          "--no-search", "--json", str(out), "--work", str(tmp_path / "work")],
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert any(line.split()[:3] == ["30", "tearsheet", "cold"] and line.rstrip().endswith("x") for line in lines)
    assert "build steps present: both tiers" in run.stdout
    result = json.loads(out.read_text())
    assert {(r["tool"], r["scenario"]) for r in result["runs"]} == SCENARIOS
    cold = next(r for r in result["runs"] if (r["tool"], r["scenario"]) == ("tearsheet", "cold"))
    assert cold["seconds"] > 0 and cold["peak_mb"] > 0 and set(cold["ratios"]) == {"vs floor-1", "vs floor-2"}
    assert (tmp_path / "work" / "tearsheet-30" / "content" / "posts").is_dir()
    # each cold run's output was set aside rather than deleted while timing, and deleted at the end
    assert not (tmp_path / "work" / ".set-aside").exists()
    assert not (tmp_path / "work" / "tearsheet-30" / "floor-output").exists()


def test_audit_share_bench_compares_builds_with_and_without_the_audit(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, str(REPO / "bench" / "audit_share.py"), "--posts", "40", "--runs", "1",
                          "--work", str(tmp_path)], capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    for measure in ("wall", "CPU"):
        assert f"40 posts, cold, {measure} time: with the audit" in run.stdout
        assert f"the audit's share of a cold build's {measure} time:" in run.stdout
    assert re.search(r"within each build with the audit, its stopwatch over the build's wall time: median [0-9.]+%",
                     run.stdout)
    assert "one edit: build" in run.stdout
    assert not (tmp_path / ".set-aside").exists()
