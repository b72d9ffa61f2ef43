package model

import (
	"fmt"
	"strings"
)

func (v Version) String() string {
	if v == Original {
		return "orig"
	}
	return fmt.Sprintf("P%d", v.Patch())
}

// Label returns a compact multi-line description of s within the bounds of
// c, one line for the globals, one per patch module that is loaded or still
// referenced, one per task and one per non-empty func_stack. Lines are
// separated by "\n".
func (c *Config) Label(s State) string {
	var b strings.Builder

	b.WriteString("klp_patches=[")
	for i := 0; i < int(s.ListLen); i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "P%d", s.List[i])
	}
	b.WriteByte(']')
	if s.InTransition() {
		fmt.Fprintf(&b, " transition=P%d→%s", s.TransitionPatch, s.Target)
	} else if s.Target != Undefined {
		fmt.Fprintf(&b, " target=%s", s.Target)
	}
	if s.TransitionWork {
		b.WriteString(" work")
	}
	if s.KlpForced {
		b.WriteString(" klp_forced")
	}
	for j := 0; j < c.Targets; j++ {
		fmt.Fprintf(&b, " X%d=%s", j, s.Targets[j])
	}

	for k := 0; k < c.Patches; k++ {
		p := s.Patches[k]
		if p == (Patch{}) {
			continue
		}
		fmt.Fprintf(&b, "\nP%d:", k)
		if p.Loaded {
			b.WriteString(" loaded")
		} else {
			b.WriteString(" unloaded")
		}
		fmt.Fprintf(&b, " ref=%d", p.Ref)
		flags := []struct {
			on   bool
			name string
		}{
			{p.Enabled, "enabled"}, {p.Forced, "forced"}, {p.Sysfs, "sysfs"},
			{p.FreeWork, "free_work"}, {p.Freed, "freed"}, {p.FuncTransition, "func.transition"},
		}
		for _, f := range flags {
			if f.on {
				b.WriteByte(' ')
				b.WriteString(f.name)
			}
		}
		if p.PrePatchRet {
			b.WriteString(" pre_patch_ret=-ENODEV")
		}
		c.writeObjects(&b, &p)
	}

	for t := 0; t < c.Tasks; t++ {
		task := &s.Tasks[t]
		fmt.Fprintf(&b, "\nT%d: %s", t, task.PatchState)
		if task.Pending {
			b.WriteString(" pending")
		}
		if task.Depth > 0 {
			b.WriteString(" [")
			for i, fr := range task.Stack() {
				if i > 0 {
					b.WriteByte(' ')
				}
				fmt.Fprintf(&b, "%s:%s", c.FuncName(int(fr.Func)), fr.Version)
			}
			b.WriteByte(']')
		}
	}

	for f := 0; f < c.NumFuncs(); f++ {
		fs := &s.FuncStacks[f]
		if fs.Len == 0 {
			continue
		}
		fmt.Fprintf(&b, "\nfunc_stack(%s)=[", c.FuncName(f))
		for i := 0; i < int(fs.Len); i++ {
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "P%d", fs.Patches[i])
		}
		b.WriteByte(']')
	}
	return b.String()
}

// FuncName returns the name of function f in labels: f<i> for a vmlinux
// function, g<j> for target module j's function.
func (c *Config) FuncName(f int) string {
	if o := c.FuncObject(f); o > 0 {
		return fmt.Sprintf("g%d", o-1)
	}
	return fmt.Sprintf("f%d", f)
}

// writeObjects appends the state of patch p's target objects and, with
// callbacks, of every object's callbacks.
func (c *Config) writeObjects(b *strings.Builder, p *Patch) {
	for j := 0; j < c.Targets; j++ {
		bit := uint8(1) << j
		switch {
		case p.ObjPatched&bit != 0:
			fmt.Fprintf(b, " X%d:patched", j)
		case p.Bound&bit != 0:
			fmt.Fprintf(b, " X%d:bound", j)
		}
	}
	if !c.Callbacks {
		return
	}
	for o := 0; o < c.NumObjects(); o++ {
		name := "vmlinux"
		if o > 0 {
			name = fmt.Sprintf("X%d", o-1)
		}
		if p.Callbacks[o] != CallbacksIdle {
			fmt.Fprintf(b, " %s.callbacks=%s", name, p.Callbacks[o])
		}
	}
}
