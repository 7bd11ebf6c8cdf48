# Elementwise math (LANGUAGE.md §5); special functions come from libm.
let x = [0.25, 0.5, 1.0]
print(sqrt(x), cbrt(27.0), exp(x), expm1(1e-10), log(x), log1p(1e-10), log2(8.0), log10(1000.0))
print(sin(x), cos(x), tan(x), asin(x), acos(x), atan(x))
print(sinh(x), cosh(x), tanh(x), asinh(x), acosh(2.0), atanh(x[:2]))
print(isnan([1.0, nan]), isinf([inf, 1.0]), isfinite([1.0, inf, nan]))
print(atan2(1.0, -1.0), hypot(3.0, 4.0), fmod(-7, 3), fmod(-7.5, 2.0), copysign(2.0, -1.0))
print(minimum([1, 5], [3, 2]), maximum([1.0, nan], [0.0, 0.0]), pow(2.0, 10), pow(2, 10))
print(where([true, false, true], 1, [7, 8, 9]), clip([-2, 0.5, 3], 0, 1))
print(j0(x), j1(1.0), y0(1.0), y1(1.0), erf(0.5), erfc(0.5), gamma(5.0), lgamma(100.0))
print(real([1.5, 2.0]), imag([1.5]), conj([2.0]), angle([-1.0, 1.0]))
print(allclose([1.0, 2.0], [1.0, 2.0000001]), allclose([1.0], [1.1]), allclose([inf], [inf]), allclose([nan], [nan]))
