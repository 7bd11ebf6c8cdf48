print(quantile([1.0, 2.0], 1.5))
