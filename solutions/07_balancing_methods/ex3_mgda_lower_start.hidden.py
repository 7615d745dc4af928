# points: 1
assert str(mgda_lower_start_answer()).strip().strip("()").strip().lower() == "b", "exercise 3: not the right option"
