# Pricing a European call option by Monte Carlo on geometric Brownian motion, next to the
# Black-Scholes closed form. Shows: randn, vectorised payoffs, erf for the normal CDF.
let S0 = 100.0      # spot price
let K = 105.0       # strike
let r = 0.05        # risk-free rate
let sigma = 0.2     # volatility
let T = 1.0         # years to expiry
let n = 1000000

let z = randn(n, seed=42)
let ST = S0 * exp((r - 0.5 * sigma ** 2) * T + sigma * sqrt(T) * z)
let payoff = maximum(ST - K, 0.0)
let mc = exp(-r * T) * mean(payoff)
let stderr = exp(-r * T) * std(payoff) / sqrt(n)

fn ncdf(x) = 0.5 * (1 + erf(x / sqrt(2.0)))
let d1 = (log(S0 / K) + (r + 0.5 * sigma ** 2) * T) / (sigma * sqrt(T))
let d2 = d1 - sigma * sqrt(T)
let bs = S0 * ncdf(d1) - K * exp(-r * T) * ncdf(d2)

print("Monte Carlo:  ", mc, "+/-", stderr)
print("Black-Scholes:", bs)
assert(abs(mc - bs) < 4 * stderr, "Monte Carlo must agree with the closed form")
