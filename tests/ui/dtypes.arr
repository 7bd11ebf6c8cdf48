# Promotion with weak literal scalars, casts and dtype attributes.
let x32 = f32([1.5, 2.5])
print((x32 * 2.0).dtype, (x32 + 1).dtype, (arange(3) * 2.0).dtype, (arange(3) + 1).dtype)
print((arange(3) / 2).dtype, ([true, false] + 1).dtype, (x32 + f64(1)).dtype)
print(i64([1.7, -1.7, 2.5]), f64([1, 2]), bool([0, 2, -1]), f32(0.1))
print(bool(complex(0.0, 1.0)), bool(complex(0.0, 1.0) * [0.0, 1.0, 2.0] - 2.0), count_nonzero(complex(0.0, 1.0) * [0.0, 1.0]), i64(complex(2.5, 1.0)))
print(floor([-1.5, 1.5]), ceil([-1.5, 1.5]), round([0.5, 1.5, 2.5, -0.5]), trunc([-1.7, 1.7]))
print(floor(arange(3)).dtype, sqrt(4).dtype, sign([-3, 0, 2]), abs([-2, 3]))
print(x32.dtype == "f32", [1, 2.5].dtype, [true, false].dtype)
