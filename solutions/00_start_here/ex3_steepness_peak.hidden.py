# points: 1
assert str(steepness_peak_answer()).strip().strip("()").strip().lower() == "b", "exercise 3: not the right option"
