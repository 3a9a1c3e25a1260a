//go:build !unix

package embedded

import (
	"os"
	"path/filepath"
)

// lockDir only creates dir/LOCK on systems without flock: there, keeping
// two processes off one directory is left to the operator.
func lockDir(dir string) (*os.File, error) {
	return os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o600)
}

func unlockDir(f *os.File) error {
	if f == nil {
		return nil
	}
	return f.Close()
}
