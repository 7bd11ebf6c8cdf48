print("before")
let x = (1 +
