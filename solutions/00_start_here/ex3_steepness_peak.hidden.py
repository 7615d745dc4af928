# points: 1
assert str(steepness_peak_answer()).strip().strip("()").strip().lower() == "c", "exercise 3: not the right option"
