# The dominant frequencies of a noisy signal via the real FFT.
# Shows: rfft, fftfreq, argsort, and noise from randn.
let fs = 1000.0                       # samples per second
let t = arange(4096) / fs
let signal = sin(2 * pi * 50 * t) + 0.5 * sin(2 * pi * 120 * t) + 0.8 * randn(4096, seed=3)
let power = abs(rfft(signal)) ** 2
let freqs = fftfreq(4096, d=1 / fs)[:2049]
freqs[2048] = fs / 2                  # rfft's last bin is the Nyquist frequency
let top = argsort(power)[::-1][:2]
print("strongest frequencies (Hz):", sort(freqs[top]))
