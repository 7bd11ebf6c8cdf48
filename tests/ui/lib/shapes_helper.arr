# A library imported by ui/import.arr.
## Area of a w × h rectangle.
fn area(w, h) = w * h
let unit = 1.5
print("helper loaded")
