package browsertest

// The lookups with their dependencies passed in, for the tests.
var (
	FindWith    = find
	RequireWith = require
)
