assert(sum([1, 2]) == 4, "sum is wrong")
