package model

import (
	"fmt"
	"strings"
)

// Mutant names one seeded bug in the model. Each mutant is a one-line change
// to a kernel routine that a named property must catch.
type Mutant uint8

const (
	NoMutant Mutant = iota
	// M1: __klp_disable_patch clears enabled after klp_try_complete_transition
	// (the v5.0 order), so a transition that completes inline never frees the patch.
	M1
	// M2: klp_free_patch_finish calls module_put even for a forced patch.
	M2
	// M3: enabled_store runs klp_free_patch_finish inline instead of
	// scheduling free_work, so the handler waits for its own kobject release.
	M3
	// M4: enabled_store accepts 1 on a disabled patch that is not in
	// transition and calls __klp_enable_patch.
	M4
	// M5: klp_complete_transition also calls module_put after an unforced
	// unpatching transition, as v5.0 did, on top of the put in free_work.
	M5
	// M6: klp_free_patch_start leaves the patch on klp_patches.
	M6
	// M11: __klp_enable_patch starts a transition while another is in progress.
	M11
	// M12: klp_module_going runs pre_unpatch also for the transition patch.
	// It needs target modules and callbacks to show.
	M12
)

type mutantInfo struct {
	name, summary string
	// only958ef1e marks a change to code that v5.0 does not have, or
	// already has in the mutated form.
	only958ef1e bool
	// needsCallbacks marks a change to callback code, which shows only
	// with target modules and callbacks configured.
	needsCallbacks bool
}

var mutants = [...]mutantInfo{
	NoMutant: {"none", "the kernel as it is", false, false},
	M1:       {"M1", "__klp_disable_patch clears enabled after klp_try_complete_transition, as v5.0 did", true, false},
	M2:       {"M2", "klp_free_patch_finish drops the module reference of a forced patch", true, false},
	M3:       {"M3", "enabled_store runs klp_free_patch_finish inline instead of scheduling free_work", true, false},
	M4:       {"M4", "enabled_store re-enables a disabled patch that is not in transition", true, false},
	M5:       {"M5", "klp_complete_transition drops the module reference after unpatching, as v5.0 did", true, false},
	M6:       {"M6", "klp_free_patch_start does not remove the patch from klp_patches", true, false},
	M11:      {"M11", "__klp_enable_patch has no -EBUSY guard for a transition in progress", false, false},
	M12:      {"M12", "klp_module_going runs pre_unpatch also for the transition patch (needs --targets and --callbacks)", false, true},
}

// AppliesTo reports whether the mutant changes code that kernel k has.
func (m Mutant) AppliesTo(k Kernel) bool {
	if int(m) >= len(mutants) {
		return false
	}
	return k == Kernel958ef1e || !mutants[m].only958ef1e
}

// NeedsCallbacks reports whether the mutant changes callback code, which
// runs only with target modules and callbacks configured.
func (m Mutant) NeedsCallbacks() bool {
	return int(m) < len(mutants) && mutants[m].needsCallbacks
}

func (m Mutant) String() string {
	if int(m) < len(mutants) {
		return mutants[m].name
	}
	return fmt.Sprintf("Mutant(%d)", m)
}

// Summary returns a one-line description of the seeded bug.
func (m Mutant) Summary() string {
	if int(m) < len(mutants) {
		return mutants[m].summary
	}
	return ""
}

// Mutants returns every seeded bug, NoMutant excluded, in a fixed order.
func Mutants() []Mutant {
	all := make([]Mutant, 0, len(mutants)-1)
	for m := range mutants[1:] {
		all = append(all, Mutant(m+1))
	}
	return all
}

// ParseMutant returns the mutant named s; "none" and "" select NoMutant.
func ParseMutant(s string) (Mutant, error) {
	if s == "" {
		return NoMutant, nil
	}
	for m, info := range mutants {
		if strings.EqualFold(s, info.name) {
			return Mutant(m), nil
		}
	}
	names := make([]string, 0, len(mutants))
	for _, info := range mutants {
		names = append(names, info.name)
	}
	return 0, fmt.Errorf("unknown mutant %q: valid mutants are %s", s, strings.Join(names, ", "))
}
