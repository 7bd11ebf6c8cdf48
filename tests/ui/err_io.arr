let x = load("does/not/exist.npy")
