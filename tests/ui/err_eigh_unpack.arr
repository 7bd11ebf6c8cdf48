let (w, v, extra) = eigh(eye(2))
