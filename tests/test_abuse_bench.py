"""bench/abuse.py end to end, small: two protocol-level students with one hostile client against the same
two alone, each class on a fresh server; the JSON has every figure the README quotes and the students
saw no errors (no browser needed; a server that does not start fails the test)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # two servers of its own

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import abuse  # noqa: E402


def test_small_abuse_run_writes_its_figures(tmp_path):
    out = tmp_path / "abuse.json"
    summary = abuse.main(["--sessions", "2", "--hostile", "1", "--seconds", "1", "--bomb-mb", "64",
                          "--timeout", "120", "--out", str(out)])  # a server that does not start raises here
    data = json.loads(out.read_text())
    assert data == json.loads(json.dumps(summary))
    base, attacked = data["phases"]
    assert (base["phase"], base["hostile"], attacked["phase"], attacked["hostile"]) == ("baseline", 0, "abuse", 1)
    for p in (base, attacked):
        assert p["errors"] == 0, p["error_examples"]
        assert p["lessons"] == 2
        assert set(p["render_s"]) == {"default", "latent", "reconstruction", "anomaly"}
        assert all(s["n"] == 2 and s["p95"] > 0 for s in p["render_s"].values())
        assert p["peak_rss_mb"] > p["idle_rss_mb"] > 0
        assert p["training_runs"] >= 1  # the default model, at least, was trained on each fresh server
    assert base["hostile_seen"] == {}
    # one hostile client starts with the worst link, on every page: the budget refuses it each time
    assert attacked["hostile_seen"]["worst link"].get("refused (budget)", 0) >= 1
    assert attacked["hostile_refusals"] >= 1
    assert set(data["p95_ratio"]) == {"default", "latent", "reconstruction", "anomaly", "all", "first lesson",
                                      "later lessons"}
    # two students, one lesson each (a 1-s class): every render is a first lesson's, none a later one's; every
    # render is on the timeline, in time order
    assert base["later_lessons_s"]["n"] == 0 and base["first_lesson_s"]["n"] == 8
    assert len(base["render_timeline"]) == 8 and base["render_timeline"] == sorted(base["render_timeline"])
    assert data["p95_ratio"]["all"] > 0
    t = data["targets"]
    assert t["student_errors"] == 0 and t["student_errors_ok"] is True
    assert t["peak_rss_mb"] == max(base["peak_rss_mb"], attacked["peak_rss_mb"])
    assert isinstance(t["p95_ratio_ok"], bool) and isinstance(t["peak_rss_ok"], bool)


def test_small_uploaders_run_trains_each_table_and_compares_with_the_class_alone(tmp_path):
    out = tmp_path / "abuse.json"
    summary = abuse.main(["--sessions", "1", "--uploaders", "2", "--no-abuse", "--seconds", "1", "--upload-mb", "0.2",
                          "--bomb-mb", "64", "--timeout", "120", "--upload-timeout", "300", "--out", str(out)])
    base, up = summary["phases"]
    assert (base["phase"], up["phase"], up["uploaders"]) == ("baseline", "uploaders", 2)
    assert up["uploader_errors"] == [] and up["errors"] == 0, (up["uploader_errors"], up["error_examples"])
    assert up["uploader_s"]["latent"]["n"] == 2  # each uploader trained on its own table and saw its map
    assert summary["upload_table"].startswith("0.20 MB") and summary["upload_p95_ratio"]["all"] > 0
    t = summary["upload_targets"]
    assert t["uploader_errors"] == 0 and isinstance(t["p95_ratio_ok"], bool) and t["peak_rss_mb"] == up["peak_rss_mb"]
