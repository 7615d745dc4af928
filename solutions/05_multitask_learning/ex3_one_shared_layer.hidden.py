# points: 1
assert str(one_shared_layer_answer()).strip().strip("()").strip().lower() == "c", "exercise 3: not the right option"
