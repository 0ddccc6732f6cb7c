"""A histogram bin's samples: the bin rule (aeviz.analysis.anomaly.bins) against numpy's histogram, the samples
in a bin, the browser's bin event checked, and on the Anomaly page (AppTest) a picked bar listing its rows, for
gw, digits and breast cancer. (The browser's half of the rule is tests/js/bins.test.mjs; a real click is
tests/test_browser_bins.py.)"""

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.components.v2.bidi_component.main import _make_trigger_id
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest

from aeviz.analysis import anomaly as an
from aeviz.analysis.anomaly import bins
from aeviz.ui.components import threshold as tc

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _scenario(n=300, k=80, seed=0) -> an.Scenario:
    rng = np.random.default_rng(seed)
    Xn = rng.normal(size=(n, 3)).astype(np.float32)
    Xa = rng.normal(size=(k, 3)).astype(np.float32)
    rn = Xn + rng.normal(0, 0.1, Xn.shape).astype(np.float32)  # small errors
    ra = Xa + rng.normal(0, 0.6, Xa.shape).astype(np.float32)  # larger ones
    return an.Scenario(Xn, Xa, rn, ra, tuple(f"kind {i % 2}" for i in range(k)))


@pytest.mark.parametrize("log", [True, False])
@pytest.mark.parametrize("n_bins", [40, 9])
def test_the_bars_are_numpys_histogram_over_the_axis(log, n_bins):
    scn = _scenario()
    b = bins.bin_layout(scn.normal, scn.anomalous, bins=n_bins, log=log)
    every = np.r_[scn.normal, scn.anomalous].astype(np.float64)
    placed = np.log10(np.maximum(every, 1e-8)) if log else every
    assert (b.lo, b.n) == (placed.min(), n_bins) and b.edges()[-1] == pytest.approx(placed.max(), rel=1e-12)
    for errors in (scn.normal, scn.anomalous):
        x = np.log10(np.maximum(errors.astype(np.float64), 1e-8)) if log else errors.astype(np.float64)
        ref, _ = np.histogram(x, bins=n_bins, range=(placed.min(), placed.max()))
        np.testing.assert_array_equal(bins.counts(errors, b), ref)


def test_the_samples_in_a_bin_are_the_rows_whose_error_is_in_it():
    scn = _scenario()
    b = bins.bin_layout(scn.normal, scn.anomalous, bins=20)
    seen_n, seen_a = [], []
    for k in range(b.n):
        normal, anomalous = bins.in_bin(scn, b, k)
        lo, hi = bins.bin_range(b, k)
        for errors, idx in ((scn.normal, normal), (scn.anomalous, anomalous)):
            assert (np.diff(errors[idx]) <= 0).all()  # largest error first
            inner = errors[idx][(errors[idx] > lo * (1 + 1e-9)) & (errors[idx] < hi * (1 - 1e-9))]
            assert len(inner) == int(((errors > lo * (1 + 1e-9)) & (errors < hi * (1 - 1e-9))).sum())
        seen_n += normal.tolist()
        seen_a += anomalous.tolist()
    assert sorted(seen_n) == list(range(len(scn.normal))) and sorted(seen_a) == list(range(len(scn.anomalous)))


def test_a_bins_table_lists_anomalies_first_with_their_values_and_is_bounded():
    scn = _scenario()
    b = bins.bin_layout(scn.normal, scn.anomalous, bins=4)
    k = int(np.argmax([sum(map(len, bins.in_bin(scn, b, j))) for j in range(4)]))
    normal, anomalous = bins.in_bin(scn, b, k)
    rows = bins.bin_rows(scn, b, k, ("a", "b", "c"))
    assert len(rows) == min(bins.MAX_LISTED, len(normal) + len(anomalous))
    assert [r["kind"].startswith("anomaly") for r in rows] == [True] * min(len(anomalous), len(rows)) + \
        [False] * (len(rows) - min(len(anomalous), len(rows)))
    first = rows[0]
    i = anomalous[0] if len(anomalous) else normal[0]
    X = scn.X_anomalous if len(anomalous) else scn.X_normal
    assert [first["a"], first["b"], first["c"]] == pytest.approx(X[i].tolist())
    assert len(bins.bin_rows(scn, b, k, limit=5)) == min(5, len(rows))
    assert set(bins.bin_rows(scn, b, k, ("only one name",))[0]) >= {"x1", "x2", "x3"}  # names that do not fit


def test_a_bins_images_are_the_rows_pixels_scaled_up():
    rng = np.random.default_rng(1)
    X = rng.random((6, 16)).astype(np.float32)
    scn = an.Scenario(X[:4], X[4:], X[:4] * 0.9, X[4:] * 0.1, ("noise", "blank"))
    b = bins.bin_layout(scn.normal, scn.anomalous, bins=1)
    images, captions = bins.bin_images(scn, b, 0, (4, 4), scale=3)
    assert len(images) == 6 and images[0].shape == (12, 12) and images[0].dtype == np.uint8
    first = int(np.argmax(scn.anomalous))  # anomalies first, largest error first
    np.testing.assert_array_equal(images[0][::3, ::3], np.round(X[4 + first].reshape(4, 4) * 255).astype(np.uint8))
    assert captions[0].startswith(scn.kinds[first]) and captions[-1].startswith("normal")
    assert len(bins.bin_images(scn, b, 0, (4, 4), limit=2)[0]) == 2


@pytest.mark.parametrize("event, expected", [
    ({"index": 3}, 3), ({"index": 39}, 39), ({"index": 7.0}, 7), ({"index": 40}, None), ({"index": -1}, None),
    ({"index": 2.5}, None), ({"index": float("nan")}, None), ({"index": "3"}, None), ({"index": True}, None),
    ({}, None), (None, None), ("3", None), ({"index": 1e300}, None)])
def test_a_sent_bin_is_checked(event, expected):
    assert tc.sent_bin(event, 40) == expected


def test_the_bins_python_reads_are_those_of_the_bytes_sent():
    scn = _scenario()
    up = np.array([1e-12, 50.0, np.inf])  # an uploaded error past float32's range is drawn at the axis' end
    data = tc.payload(scn.normal, scn.anomalous, mode="percentile", pct=95.0, threshold=0.0, log_x=True, uploaded=up)
    b = tc.bins_of(data)
    sent = np.frombuffer(base64.b64decode(data["uploaded"]), "<f4").astype(np.float64)
    assert b.lo == np.log10(1e-8) and b.edges()[-1] == pytest.approx(np.log10(sent.max()))


# ---- on the page -------------------------------------------------------------------------------------------

def _open(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=240)
    at.query_params.update(params)
    at.run()
    at.switch_page("pages/anomaly.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _chart(at: AppTest) -> dict:
    (el,) = at.get("bidi_component")
    return json.loads(el.proto.json)


def _send_bin(at: AppTest, value) -> AppTest:
    """What the browser does when a bar is picked: one "bin" event from the component."""
    (el,) = at.get("bidi_component")
    states = at._tree.get_widget_states()
    states.widgets.append(WidgetState(id=_make_trigger_id(el.proto.id, "events"),
                                      json_trigger_value=json.dumps([{"event": "bin", "value": value}])))
    at._run(states)
    assert not at.exception, [e.value for e in at.exception]
    return at


def _reference_counts(data: dict) -> tuple[np.ndarray, np.ndarray]:
    """numpy's histogram of the chart's own numbers (normal, anomalous) over the axis they span."""
    f = lambda v: np.log10(np.maximum(v, 1e-8)) if data["log"] else v  # noqa: E731
    arrays = [f(tc.decode_floats(data[k], data["dtype"])) for k in ("normal", "anomalous", "uploaded")]
    every = np.concatenate(arrays)
    return tuple(np.histogram(a, bins=data["bins"], range=(every.min(), every.max()))[0] for a in arrays[:2])


def _listed(at: AppTest) -> str:
    return next((m.value for m in at.markdown if m.value.startswith("**Bin ")), "")


@pytest.mark.parametrize("name", ["gw", "digits", "breast_cancer"])
def test_a_picked_bar_lists_the_samples_in_it(name):
    at = _open(d_name=name, t_epochs="10")
    data = _chart(at)
    assert data["picked"] is None and not _listed(at)
    ref_n, ref_a = _reference_counts(data)
    k = int(np.argmax(ref_n + ref_a))  # the tallest bar
    at = _send_bin(at, {"index": k})
    text = _listed(at)
    assert text.startswith(f"**Bin {k + 1} of {data['bins']}**"), text
    assert f"**{ref_a[k]}** anomalies and **{ref_n[k]}** normal rows" in text
    assert _chart(at)["picked"] == k  # the chart outlines the listed bar
    if name == "digits":
        (images,) = at.get("image")
        assert len(images.proto.imgs) == min(24, ref_n[k] + ref_a[k])
        assert images.proto.imgs[0].caption.startswith("digit 7" if ref_a[k] else "normal")
    else:
        (table,) = at.dataframe
        df = table.value
        assert len(df) == ref_n[k] + ref_a[k] and list(df.columns[:3]) == ["sample", "kind", "error"]
        assert (df["kind"].str.startswith("anomaly")).sum() == ref_a[k]
    for bad in ({"index": data["bins"]}, {"index": "x"}, {"index": -3}, "nonsense"):
        at = _send_bin(at, bad)
        assert _listed(at) == text  # refused: the listed bin stays
    at.button(key="an_bin_hide").click().run()
    assert not _listed(at) and _chart(at)["picked"] is None
