# split needs equal parts; array_split does not.
print(split(arange(5), 2))
