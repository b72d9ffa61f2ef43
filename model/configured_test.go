package model_test

import (
	"testing"

	"github.com/klpcheck/klpcheck/model"
)

// TestConfiguredMatchesEnabledKinds checks Config.Configured against the
// kinds that some reachable state enables, on both kernels, with and
// without target modules, callbacks and pre_patch_ret. The bounds are
// large enough for every configured kind to be enabled somewhere.
func TestConfiguredMatchesEnabledKinds(t *testing.T) {
	configs := []model.Config{
		{Kernel: model.Kernel958ef1e, Patches: 1, Tasks: 1, Functions: 1},
		{Kernel: model.KernelV50, Patches: 1, Tasks: 1, Functions: 1},
		{Kernel: model.Kernel958ef1e, Patches: 1, Tasks: 1, Functions: 1, Targets: 1, Callbacks: true, PrePatchRet: true},
		{Kernel: model.KernelV50, Patches: 1, Tasks: 1, Functions: 1, Targets: 1, Callbacks: true, PrePatchRet: true},
		{Kernel: model.KernelV50, Patches: 2, Tasks: 1, Functions: 1, Targets: 1},
	}
	for _, c := range configs {
		enabled := make([]bool, model.NumKinds)
		var buf []model.Action
		for s := range reachable(&c) {
			buf = c.Actions(&s, buf[:0])
			for _, a := range buf {
				enabled[a.Kind] = true
			}
		}
		for k := range model.NumKinds {
			kind := model.Kind(k)
			switch configured := c.Configured(kind); {
			case configured && !enabled[k]:
				t.Errorf("%s: Configured(%s) is true, but no reachable state enables it", c, kind)
			case !configured && enabled[k]:
				t.Errorf("%s: Configured(%s) is false, but a reachable state enables it", c, kind)
			}
		}
	}
}
