let big = zeros(1000000, 1000000)
