//go:build !linux

package redistest

import "os/exec"

// dieWithParent does nothing where the system cannot tie a child's life to
// its parent's; a crashed test binary may leave its redis-server behind.
func dieWithParent(*exec.Cmd) {}
