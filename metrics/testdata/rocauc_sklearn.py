import json, numpy as np
from sklearn.metrics import roc_auc_score
rng = np.random.RandomState(7)
cases = []
for n, levels in [(10, 0), (50, 5), (200, 0), (200, 3), (1000, 20)]:
    y = rng.randint(0, 2, n).astype(float)
    y[0], y[1] = 0, 1
    if levels:
        s = rng.randint(0, levels, n) / float(levels)  # many ties
    else:
        s = rng.rand(n) + 0.3 * y
    cases.append({"scores": [float(v) for v in s], "labels": [float(v) for v in y], "auc": float(roc_auc_score(y, s))})
json.dump({"generator": "sklearn.metrics.roc_auc_score, metrics/testdata/rocauc_sklearn.py (numpy RandomState(7))", "cases": cases}, open("metrics/testdata/rocauc_sklearn.json", "w"))
print([c["auc"] for c in cases])
