package casefile

// SetUnitDrivenMax sets the longest list List reads through the driving
// unit's rows (0: always in push order) and returns a function restoring it.
func SetUnitDrivenMax(n int) (restore func()) {
	old := unitDrivenMax
	unitDrivenMax = n
	return func() { unitDrivenMax = old }
}
