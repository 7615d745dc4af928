# points: 1
assert str(half_the_depth_answer()).strip().strip("()").strip().lower() == "d", "exercise 4: not the right option"
