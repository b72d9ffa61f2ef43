package model

import (
	"fmt"
	"strings"
)

// Maximum bounds. They size the fixed arrays of State, so raising one makes
// every state larger.
const (
	MaxPatches   = 4
	MaxTasks     = 4
	MaxFunctions = 2
)

// Kernel selects the livepatch core generation whose behaviour the model
// follows.
type Kernel uint8

const (
	// Kernel958ef1e is the core after commit 958ef1e39d24 (Linux 5.1 series):
	// klp_enable_patch from module_init, disable through sysfs only, the
	// patch freed from free_work, a per-patch forced flag, and the stacking
	// rule that only the last patch in klp_patches may be disabled.
	Kernel958ef1e Kernel = iota
)

var kernelNames = [...]string{Kernel958ef1e: "958ef1e"}

func (k Kernel) String() string {
	if int(k) < len(kernelNames) {
		return kernelNames[k]
	}
	return fmt.Sprintf("Kernel(%d)", k)
}

// ParseKernel returns the kernel generation named s.
func ParseKernel(s string) (Kernel, error) {
	for k, name := range kernelNames {
		if s == name {
			return Kernel(k), nil
		}
	}
	return 0, fmt.Errorf("unknown kernel %q: valid kernels are %s", s, strings.Join(kernelNames[:], ", "))
}

// Config holds the bounds and the variant of the model. The zero value is not
// valid: use Validate or DefaultConfig.
type Config struct {
	Kernel    Kernel
	Patches   int // patch modules, 1 to MaxPatches
	Tasks     int // tasks, 1 to MaxTasks
	Functions int // patched functions, 1 to MaxFunctions; every patch patches all of them
	Mutant    Mutant
}

// DefaultConfig returns the bounds that `klpcheck explore` uses without
// flags: 2 patches, 2 tasks and 1 function on the 958ef1e kernel.
func DefaultConfig() Config {
	return Config{Kernel: Kernel958ef1e, Patches: 2, Tasks: 2, Functions: 1}
}

// Validate reports the first bound or option that is out of range.
func (c Config) Validate() error {
	if c.Patches < 1 || c.Patches > MaxPatches {
		return fmt.Errorf("invalid patches %d: must be 1 to %d", c.Patches, MaxPatches)
	}
	if c.Tasks < 1 || c.Tasks > MaxTasks {
		return fmt.Errorf("invalid tasks %d: must be 1 to %d", c.Tasks, MaxTasks)
	}
	if c.Functions < 1 || c.Functions > MaxFunctions {
		return fmt.Errorf("invalid functions %d: must be 1 to %d", c.Functions, MaxFunctions)
	}
	if int(c.Kernel) >= len(kernelNames) {
		return fmt.Errorf("invalid kernel %d", c.Kernel)
	}
	if int(c.Mutant) >= len(mutants) {
		return fmt.Errorf("invalid mutant %d", c.Mutant)
	}
	return nil
}
