if [true, false] { print("no") }
