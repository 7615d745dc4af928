# points: 1
assert str(large_learning_rate_answer()).strip().strip("()").strip().lower() == "a", "exercise 4: not the right option"
