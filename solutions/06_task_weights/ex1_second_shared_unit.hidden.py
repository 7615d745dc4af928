# points: 1
assert str(second_shared_unit_answer()).strip().strip("()").strip().lower() == "c", "exercise 1: not the right option"
