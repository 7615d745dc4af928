# points: 1
assert str(validation_winners_answer()).strip().strip("()").strip().lower() == "b", "exercise 3: not the right option"
