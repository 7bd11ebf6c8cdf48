print(sum("text"))
