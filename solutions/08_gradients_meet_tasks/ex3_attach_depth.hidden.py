# points: 1
assert str(attach_depth_answer()).strip().strip("()").strip().lower() == "d", "exercise 3: not the right option"
