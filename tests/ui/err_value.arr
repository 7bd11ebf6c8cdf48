print(min(zeros(0)))
