# points: 1
assert str(kink_steps_answer()).strip().strip("()").strip().lower() == "d", "exercise 4: not the right option"
