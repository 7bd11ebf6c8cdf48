# The radial profile of a drumhead's fundamental mode is the Bessel function J0.
# Shows: special functions, masks, and saving a table as CSV (bessel_j0.csv, in the
# working directory) for plotting elsewhere.
let r = arange(0, 100, 0.1)
let profile = j0(r)
save("bessel_j0.csv", stack([r, profile], axis=1))

# The drum's edge sits at the first zero of J0: find the sign changes.
let crossing = profile[:-1] * profile[1:] < 0
let zeros_at = r[:-1][crossing]
print("first zeros of J0 (to 0.1):", zeros_at[:5])
print("known value of the first zero: 2.404825557695773, j0 there:", j0(2.404825557695773))
print("saved", len(r), "rows to bessel_j0.csv")
