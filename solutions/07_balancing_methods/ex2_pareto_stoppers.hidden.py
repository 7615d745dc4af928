# points: 1
# A prediction earns its point by being committed, not by being right: grading its accuracy would
# teach learners to look before they predict.
_known = {"mean", "mgda", "pcgrad", "cagrad", "imtlg", "nashmtl", "alignedmtl", "graddrop"}
_prediction = predicted_stoppers()
assert not isinstance(_prediction, str) and hasattr(_prediction, "__iter__"), \
    "predicted_stoppers() should return a set of method names"
assert all(isinstance(_name, str) and _name.lower().replace("-", "").replace("_", "").replace(" ", "") in _known
           for _name in _prediction), "predicted_stoppers() should return names of the lesson's eight methods"
