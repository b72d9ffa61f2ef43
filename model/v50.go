package model

// This file holds the routines whose Linux 5.0 form differs from 958ef1e:
// module_init and module_exit of a patch module, and __klp_disable_patch.

// RefSaturation is the largest module reference count the v5.0 model
// stores. Each __klp_enable_patch takes a reference and, once klp_forced is
// set, no completion drops one, so a forced disable and enable loop raises
// the count without bound. The count exceeds 1 only after a force, and
// after a force nothing decrements it, so every count of 2 or more behaves
// the same: the module can never be removed. Saturating at 2 keeps the
// state space finite without hiding a behaviour.
const RefSaturation = 2

// insmodV50 loads patch module k at v5.0. Its module_init calls
// klp_register_patch (the patch is appended to klp_patches, disabled, with
// its sysfs directory, and its objects are bound to alive modules) and then
// klp_enable_patch. When enabling fails, module_init unregisters the patch
// and returns the error, so the load fails and the module is freed.
func (st *stepper) insmodV50(s *State, k int) {
	s.Patches[k] = Patch{Loaded: true, Sysfs: true, PrePatchRet: s.Patches[k].PrePatchRet}
	st.bindObjects(s, k)
	s.listAppend(k)

	if err := st.enablePatch(s, k, inModuleInit); err != 0 {
		st.out.Err = err
		st.unregisterPatch(s, k)
		st.unloadModule(s, k)
		// A failed load frees the module whatever its reference count. A
		// cancelled enable after a force leaves the reference it took,
		// and that reference goes with the module.
		s.Patches[k].Ref = 0
	}
}

// rmmodV50 unloads patch module k at v5.0 unless it is referenced. Its
// module_exit calls klp_unregister_patch, whose result it ignores.
func (st *stepper) rmmodV50(s *State, k int) {
	if s.Patches[k].Ref != 0 {
		st.out.Err = EAGAIN
		return
	}
	st.unregisterPatch(s, k)
	st.unloadModule(s, k)
}

// unregisterPatch is klp_unregister_patch at v5.0. It rejects only an
// enabled patch, and during an unpatching transition enabled is already
// false, so a direct caller can unregister the transition patch. Through
// module_exit that cannot happen, because the module reference is held
// until the transition completes.
func (st *stepper) unregisterPatch(s *State, k int) Errno {
	p := &s.Patches[k]
	if p.Enabled {
		return EBUSY
	}
	s.listDelete(k)
	p.Sysfs = false
	p.Freed = true
	return 0
}

// disablePatchV50 is __klp_disable_patch at v5.0: a patch may be disabled
// only if the next patch on klp_patches is not enabled, and enabled is
// cleared after the first completion attempt.
func (st *stepper) disablePatchV50(s *State, k int) Errno {
	p := &s.Patches[k]
	if !p.Enabled {
		return EINVAL
	}
	if s.InTransition() {
		return EBUSY
	}
	if i := s.listIndex(k); i+1 < int(s.ListLen) && s.Patches[s.List[i+1]].Enabled {
		return EBUSY
	}
	st.initTransition(s, k, Unpatched)
	st.preUnpatchObjects(s, k)
	st.startTransition(s)
	st.tryCompleteTransition(s, inSysfsHandler)
	p.Enabled = false
	return 0
}
