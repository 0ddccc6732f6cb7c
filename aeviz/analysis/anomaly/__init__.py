"""Anomaly detection by reconstruction error: a model trained on normal data reconstructs normal data
well; what it cannot compress, it cannot reconstruct, so a large error flags an anomaly.

`scenarios`: the injected anomalies per dataset, thresholds and detection metrics; `labelled`: real
anomalies named by a label (breast cancer's malignant rows), a supervised baseline and contamination;
`bins`: the threshold histogram's bins (the rule the browser repeats) and the samples in one;
`upload`: a user's CSV file of rows to score (read, checked, scored). Both are importable from here
(`from aeviz.analysis import anomaly; anomaly.read_csv(...)`).
"""

from .scenarios import (CORRUPTIONS, PRESETS, AnomalyConfig, Scenario, corrupt_images, detection_metrics,
                        gw_anomalies, local_normals, make_anomalies, normal_subset, off_manifold, roc, scenario,
                        threshold, top_flagged)
from . import bins, labelled
from .upload import (DELIMITERS, FLOAT32_MAX, MAX_UPLOAD_BYTES, MAX_UPLOAD_COLUMNS, MAX_UPLOAD_MB, MAX_UPLOAD_ROWS,
                     CsvResult, read_csv, to_csv, upload_errors)

__all__ = [
    "CORRUPTIONS", "PRESETS", "AnomalyConfig", "Scenario", "corrupt_images", "detection_metrics", "gw_anomalies",
    "local_normals", "make_anomalies", "normal_subset", "off_manifold", "roc", "scenario", "threshold",
    "top_flagged",
    "DELIMITERS", "FLOAT32_MAX", "MAX_UPLOAD_BYTES", "MAX_UPLOAD_COLUMNS", "MAX_UPLOAD_MB", "MAX_UPLOAD_ROWS",
    "CsvResult", "read_csv", "to_csv", "upload_errors", "bins", "labelled",
]
