# Reductions with axis/keepdims/ddof, scans and statistics (LANGUAGE.md §5).
let A = [[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]]
print(sum(A), sum(A, axis=0), sum(A, axis=-1), sum(A, axis=1, keepdims=true))
print(prod(A), mean(A, axis=0), var(A), var(A, ddof=1), std(A, axis=1))
print(min(A), max(A, axis=0), argmin(A), argmax(A, axis=1), argmax([1.0, nan, 3.0]))
print(any(A > 5), all(A > 0), any(A > 5, axis=0), all([[true, false]], axis=1))
print(cumsum(A), cumsum(A, axis=0), cumprod([1, 2, 3, 4]))
print(sum([]), prod([]), mean([]), sum(arange(10) > 4), mean(arange(10)))
print(max([1.0, nan]), min(arange(5) - 2))
