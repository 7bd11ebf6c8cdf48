# A statistics walk-through: reductions over all elements and along an axis, ddof,
# keepdims for broadcasting back, cumulative sums, masks and argmax.
let scores = [[71.0, 88.0, 93.0, 65.0],
              [82.0, 79.0, 91.0, 70.0],
              [90.0, 85.0, 78.0, 88.0]]   # 3 students × 4 exams

print("mean of everything:", mean(scores))
print("mean per exam:     ", mean(scores, axis=0))
print("mean per student:  ", mean(scores, axis=1))
print("sample std per exam:", std(scores, axis=0, ddof=1))
print("variance:", var(scores))

# Standardise each exam (column) using keepdims so the statistics broadcast back.
let z = (scores - mean(scores, axis=0, keepdims=true)) / std(scores, axis=0, keepdims=true)
print("z-scores:")
print(z)

print("best student per exam:", argmax(scores, axis=0))
print("scores above 85:", scores[scores > 85])
print("how many above 85:", sum(scores > 85))
print("running total of student 0:", cumsum(scores[0]))
print("median-ish (middle of sorted row 0 by hand):", (min(scores[0]) + max(scores[0])) / 2)
print("all passed (>= 60)?", all(scores >= 60))
