# points: 1
assert str(extra_output_answer()).strip().strip("()").strip().lower() == "a", "exercise 4: not the right option"
