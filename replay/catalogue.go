package replay

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// This file is the catalogue of the kernel's livepatch selftest modules
// (lib/livepatch/test_klp_*.c in Linux 5.1), described by what they do:
// which klp_objects a livepatch module has, what a target module prints,
// and which module parameters replay accepts.

// moduleKind separates livepatch modules from the target modules they
// patch.
type moduleKind uint8

const (
	livepatchModule moduleKind = iota + 1
	targetModule
)

// Model indexes of the two target modules. The order is that of the
// objects of test_klp_callbacks_demo, which is the order its callbacks run.
const (
	targetMod  = 0 // test_klp_callbacks_mod
	targetBusy = 1 // test_klp_callbacks_busy
	numTargets = 2
)

// Object bits of model.PatchLayout.
const (
	objectVmlinux = 1 << 0
	objectMod     = 1 << (1 + targetMod)
	objectBusy    = 1 << (1 + targetBusy)
)

// testModule is one selftest module as replay models it.
type testModule struct {
	name string
	kind moduleKind

	// objects and callbacks are the klp_objects of a livepatch module, as
	// model.PatchLayout bits, and whether they have the four callbacks.
	objects   uint8
	callbacks bool
	// patchedWorkFunc is the message the module's replacement of
	// busymod_work_func prints, or "" when it has none.
	patchedWorkFunc string

	// target is the model index of a target module.
	target int
	// busy marks test_klp_callbacks_busy, whose init starts a worker that
	// sleeps in busymod_work_func.
	busy bool

	// params maps each parameter the module accepts to its check.
	params map[string]func(value string) (int, string)
	// unsupported, when not empty, is the reason replay rejects every load
	// of the module.
	unsupported string
}

var catalogue = map[string]*testModule{
	"test_klp_livepatch": {
		name:    "test_klp_livepatch",
		kind:    livepatchModule,
		objects: objectVmlinux, // replaces cmdline_proc_show
	},
	"test_klp_atomic_replace": {
		name:    "test_klp_atomic_replace",
		kind:    livepatchModule,
		objects: objectVmlinux, // replaces meminfo_proc_show
		params:  map[string]func(string) (int, string){"replace": checkReplace},
	},
	"test_klp_callbacks_demo": {
		name:            "test_klp_callbacks_demo",
		kind:            livepatchModule,
		objects:         objectVmlinux | objectMod | objectBusy,
		callbacks:       true,
		patchedWorkFunc: "patched_work_func",
		params:          map[string]func(string) (int, string){"pre_patch_ret": checkPrePatchRet},
	},
	"test_klp_callbacks_demo2": {
		name:      "test_klp_callbacks_demo2",
		kind:      livepatchModule,
		objects:   objectVmlinux,
		callbacks: true,
		params:    map[string]func(string) (int, string){"replace": checkReplace},
	},
	"test_klp_callbacks_mod": {
		name:   "test_klp_callbacks_mod",
		kind:   targetModule,
		target: targetMod,
	},
	"test_klp_callbacks_busy": {
		name:   "test_klp_callbacks_busy",
		kind:   targetModule,
		target: targetBusy,
		busy:   true,
		params: map[string]func(string) (int, string){"sleep_secs": checkSleepSecs},
	},
	"test_klp_shadow_vars": {
		name:        "test_klp_shadow_vars",
		kind:        targetModule,
		unsupported: "test_klp_shadow_vars is out of scope: it exercises the shadow variable API, which klpcheck does not model",
	},
}

// targetNames are the names of the target modules by model index.
var targetNames = [numTargets]string{
	targetMod:  "test_klp_callbacks_mod",
	targetBusy: "test_klp_callbacks_busy",
}

// catalogueNames returns the module names of the catalogue, sorted, for
// messages.
func catalogueNames() string {
	names := make([]string, 0, len(catalogue))
	for name := range catalogue {
		names = append(names, name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// checkParams returns the value of each parameter of a load of mod, or the
// reason the load is not supported.
func (mod *testModule) checkParams(params []Param) (map[string]int, string) {
	values := map[string]int{}
	for _, p := range params {
		check, ok := mod.params[p.Name]
		if !ok {
			return nil, fmt.Sprintf("%s has no parameter %q%s", mod.name, p.Name, mod.paramHint())
		}
		if _, dup := values[p.Name]; dup {
			return nil, fmt.Sprintf("parameter %s is given twice", p.Name)
		}
		value, reason := check(p.Value)
		if reason != "" {
			return nil, reason
		}
		values[p.Name] = value
	}
	return values, ""
}

func (mod *testModule) paramHint() string {
	if len(mod.params) == 0 {
		return "; it takes no parameters"
	}
	names := make([]string, 0, len(mod.params))
	for name := range mod.params {
		names = append(names, name)
	}
	sort.Strings(names)
	return "; it takes " + strings.Join(names, ", ")
}

// checkReplace accepts only replace=0. The test modules copy the parameter
// into klp_patch.replace, and atomic replace came after both kernel
// generations that the model follows.
func checkReplace(value string) (int, string) {
	n, err := strconv.Atoi(value)
	if err != nil {
		return 0, fmt.Sprintf("invalid replace=%s: must be an integer", value)
	}
	if n != 0 {
		return 0, fmt.Sprintf("replace=%s selects atomic replace, which klpcheck does not model; only replace=0 is supported", value)
	}
	return 0, ""
}

// checkPrePatchRet accepts the values that the callbacks demo's pre_patch
// callback may return: 0 or a negative errno that replay can name.
func checkPrePatchRet(value string) (int, string) {
	n, err := strconv.Atoi(value)
	if err != nil {
		return 0, fmt.Sprintf("invalid pre_patch_ret=%s: must be an integer", value)
	}
	if n > 0 {
		return 0, fmt.Sprintf("pre_patch_ret=%s is not supported: module_init would return a positive value, which the model does not handle; use 0 or a negative errno", value)
	}
	if _, ok := errnoInfo[-n]; n < 0 && !ok {
		return 0, fmt.Sprintf("pre_patch_ret=%s is not supported: replay knows the errnos %s", value, knownErrnos())
	}
	return n, ""
}

// maxSleepSecs is the largest sleep_secs for which the busy module's int
// product sleep_secs * 1000, the milliseconds it passes to msleep, does
// not overflow.
const maxSleepSecs = 2147483

func checkSleepSecs(value string) (int, string) {
	n, err := strconv.Atoi(value)
	if err != nil || n < 0 || n > maxSleepSecs {
		return 0, fmt.Sprintf("invalid sleep_secs=%s: must be 0 to %d seconds", value, maxSleepSecs)
	}
	return n, ""
}

// Errno values that replay returns itself, on Linux x86 and arm64.
const (
	errENOENT = 2
	errEAGAIN = 11
	errEEXIST = 17
	errEINVAL = 22
)

// errnoInfo holds the name and the glibc strerror text of each errno that
// replay prints.
var errnoInfo = map[int]struct{ name, text string }{
	1:  {"EPERM", "Operation not permitted"},
	2:  {"ENOENT", "No such file or directory"},
	4:  {"EINTR", "Interrupted system call"},
	5:  {"EIO", "Input/output error"},
	11: {"EAGAIN", "Resource temporarily unavailable"},
	12: {"ENOMEM", "Cannot allocate memory"},
	13: {"EACCES", "Permission denied"},
	16: {"EBUSY", "Device or resource busy"},
	17: {"EEXIST", "File exists"},
	19: {"ENODEV", "No such device"},
	22: {"EINVAL", "Invalid argument"},
	38: {"ENOSYS", "Function not implemented"},
}

func knownErrnos() string {
	numbers := make([]int, 0, len(errnoInfo))
	for n := range errnoInfo {
		numbers = append(numbers, n)
	}
	sort.Ints(numbers)
	names := make([]string, len(numbers))
	for i, n := range numbers {
		names[i] = fmt.Sprintf("-%d (%s)", n, errnoInfo[n].name)
	}
	return strings.Join(names, ", ")
}

// errnoName returns the symbolic name of errno n, such as EBUSY.
func errnoName(n int) string {
	if info, ok := errnoInfo[n]; ok {
		return info.name
	}
	return fmt.Sprintf("errno %d", n)
}

// strerror returns the C library's message for errno n.
func strerror(n int) string {
	if info, ok := errnoInfo[n]; ok {
		return info.text
	}
	return fmt.Sprintf("Unknown error %d", n)
}
