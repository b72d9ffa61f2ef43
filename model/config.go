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
	MaxFunctions = 2 // patched vmlinux functions
	MaxTargets   = 2 // target modules, each with one patched function

	// MaxObjects is the number of klp_objects a patch can have: vmlinux
	// and one per target module.
	MaxObjects = 1 + MaxTargets
	// MaxFuncs is the number of patched functions: the vmlinux functions
	// first, then one per target module.
	MaxFuncs = MaxFunctions + MaxTargets
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
	// KernelV50 is the core of Linux 5.0. Its module_init calls
	// klp_register_patch and klp_enable_patch, and its module_exit calls
	// klp_unregister_patch. A disabled patch can be enabled again through
	// sysfs. Each enable takes a module reference, which an unpatching
	// completion drops unless the global klp_forced is set. Stacking
	// allows enabling only after an enabled predecessor and disabling only
	// before a disabled successor.
	KernelV50
)

var kernelNames = [...]string{Kernel958ef1e: "958ef1e", KernelV50: "v5.0"}

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
	Functions int // patched vmlinux functions, 1 to MaxFunctions; every patch patches all of them
	Mutant    Mutant

	// Targets is the number of target modules, 0 to MaxTargets. A patch
	// without its own layout in Layouts has one klp_object per target
	// module. Each target module has one function, which every patch
	// with an object for that module replaces.
	Targets int
	// Callbacks gives every object the four callbacks (pre_patch,
	// post_patch, pre_unpatch, post_unpatch), which log through the patch
	// module as the selftests' test_klp_callbacks_demo does. A patch with
	// its own layout has callbacks only if its layout sets Callbacks.
	Callbacks bool
	// PrePatchRet adds the action that toggles a patch module's
	// pre_patch_ret parameter, which makes every pre_patch callback of
	// that patch fail with -ENODEV. It needs Callbacks.
	PrePatchRet bool
	// Layouts gives patch k its own objects and callbacks when
	// Layouts[k].Objects is not zero. The zero value keeps the uniform
	// layout above, so explorations that do not set it are unchanged.
	Layouts [MaxPatches]PatchLayout
}

// PatchLayout is the set of klp_objects of one patch module and whether
// they have callbacks, for configurations in which patches differ, such as
// test_klp_livepatch (vmlinux only, no callbacks) next to
// test_klp_callbacks_demo (vmlinux and two target modules, with callbacks).
//
// NOTE: a vmlinux object always replaces all Functions vmlinux functions,
// and a target object its module's one function. The selftests' modules
// differ here (test_klp_callbacks_demo's vmlinux object replaces none), so
// a layout is faithful only while no task runs the functions concerned.
type PatchLayout struct {
	// Objects has bit 0 set for the vmlinux object and bit j+1 for the
	// object of target module j. Zero selects the uniform layout.
	Objects uint8
	// Callbacks gives every object of the patch the four callbacks. It
	// needs Config.Callbacks, which turns on the callback properties.
	Callbacks bool
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
	if c.Targets < 0 || c.Targets > MaxTargets {
		return fmt.Errorf("invalid targets %d: must be 0 to %d", c.Targets, MaxTargets)
	}
	if c.PrePatchRet && !c.Callbacks {
		return fmt.Errorf("invalid options: pre_patch_ret needs callbacks")
	}
	if int(c.Kernel) >= len(kernelNames) {
		return fmt.Errorf("invalid kernel %d", c.Kernel)
	}
	if err := c.validateLayouts(); err != nil {
		return err
	}
	if int(c.Mutant) >= len(mutants) {
		return fmt.Errorf("invalid mutant %d", c.Mutant)
	}
	if c.Mutant.NeedsCallbacks() && (c.Targets == 0 || !c.Callbacks) {
		return fmt.Errorf("invalid mutant %s: it changes callback code, so it needs at least one target module and callbacks", c.Mutant)
	}
	if !c.Mutant.AppliesTo(c.Kernel) {
		return fmt.Errorf("invalid mutant %s: it changes code that kernel %s does not have", c.Mutant, c.Kernel)
	}
	return nil
}

func (c Config) validateLayouts() error {
	for k, layout := range c.Layouts {
		switch {
		case layout == PatchLayout{}:
			continue
		case k >= c.Patches:
			return fmt.Errorf("invalid layout for patch %d: there are only %d patches", k, c.Patches)
		case layout.Objects == 0:
			return fmt.Errorf("invalid layout for patch %d: callbacks need at least one object", k)
		case layout.Objects>>c.NumObjects() != 0:
			return fmt.Errorf("invalid layout for patch %d: objects %#b name a target module beyond targets %d", k, layout.Objects, c.Targets)
		case layout.Callbacks && !c.Callbacks:
			return fmt.Errorf("invalid layout for patch %d: its callbacks need the callbacks option", k)
		}
	}
	return nil
}

// V50 reports whether the model follows the Linux 5.0 core.
func (c *Config) V50() bool { return c.Kernel == KernelV50 }

// NumFuncs returns the number of patched functions: Functions vmlinux
// functions, then one per target module.
func (c *Config) NumFuncs() int { return c.Functions + c.Targets }

// NumObjects returns the number of object slots of a patch: vmlinux and one
// per target module. HasObject reports which of them a patch has.
func (c *Config) NumObjects() int { return 1 + c.Targets }

// HasObject reports whether patch k has object o: 0 for vmlinux, j+1 for
// target module j.
func (c *Config) HasObject(k, o int) bool {
	if o < 0 || o >= c.NumObjects() {
		return false
	}
	if objects := c.Layouts[k].Objects; objects != 0 {
		return objects&(1<<o) != 0
	}
	return true
}

// HasCallbacks reports whether the objects of patch k have callbacks.
func (c *Config) HasCallbacks(k int) bool {
	if c.Layouts[k].Objects != 0 {
		return c.Layouts[k].Callbacks
	}
	return c.Callbacks
}

// TargetFunc returns the index of target module j's function.
func (c *Config) TargetFunc(j int) int { return c.Functions + j }

// FuncObject returns the object that function f belongs to: 0 for vmlinux,
// j+1 for target module j.
func (c *Config) FuncObject(f int) int {
	if f < c.Functions {
		return 0
	}
	return f - c.Functions + 1
}

// String describes c in one line: the kernel, the bounds, the object
// options that are set, and the mutant.
func (c Config) String() string {
	line := fmt.Sprintf("kernel %s, patches %d, tasks %d, functions %d", c.Kernel, c.Patches, c.Tasks, c.Functions)
	if c.Targets > 0 {
		line += fmt.Sprintf(", targets %d", c.Targets)
	}
	if c.Callbacks {
		line += ", callbacks"
	}
	if c.PrePatchRet {
		line += ", pre_patch_ret"
	}
	for k, layout := range c.Layouts {
		if layout.Objects == 0 {
			continue
		}
		line += fmt.Sprintf(", P%d objects %#b", k, layout.Objects)
		if layout.Callbacks {
			line += " with callbacks"
		}
	}
	return line + fmt.Sprintf(", mutant %s", c.Mutant)
}
