# import runs a file once (relative to this file, then the stdlib) and brings its names in.
import "lib/shapes_helper.arr"
import "lib/shapes_helper.arr"
import "core.arr"
print(area(2, unit), unit)
help(area)
import "lib/missing.arr"
