let x = 0
for r in 5 { x = r }
