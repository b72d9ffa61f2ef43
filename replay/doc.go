// Package replay parses and runs klpcheck replay files: single scenarios
// written in the shell dialect of the Linux livepatch selftests
// (tools/testing/selftests/livepatch), so that the body of a selftest can be
// pasted in.
//
// # Parsing
//
// Parse validates the whole file before anything runs. It accepts blank
// lines, comments, VAR=value assignments with $VAR and ${VAR} expansion, the
// functions.sh helpers, sysfs writes of the form "echo VALUE > PATH", sleep,
// single rmmod and modprobe attempts, check_result, and one klpcheck
// extension, expect_error. Everything else is a *SyntaxError that names the
// line and the reason.
//
// Only the functions.sh helpers write "% ..." lines to the kernel log, as the
// 5.1-era functions.sh did. Plain echo, rmmod, modprobe, insmod, sleep and
// expect_error commands write nothing to the log themselves, just as in a
// real shell script.
//
// # Running
//
// Run executes a parsed script on the model of package model and prints the
// kernel log the model predicts, filtered as the selftests' check_result
// filters dmesg. The test modules come from a built-in catalogue of the
// Linux 5.1 selftest modules, modelled from what they do. The machine has
// two tasks. One is an ordinary task that exits to user space at every
// opportunity, so it switches as soon as it is pending. The other is the
// kworker that runs test_klp_callbacks_busy's work item, which sleeps
// inside busymod_work_func, the function test_klp_callbacks_demo replaces.
//
// A helper whose condition can no longer come true fails and ends the run,
// as die() ends a selftest. A plain command that fails is reported on
// stderr and the run goes on, as a shell script goes on.
//
// # Time
//
// Model time starts at 0 when the file starts and only sleep and the
// waiting helpers advance it. A command takes no time. After each command,
// and at each instant time passes through, every step that is due runs:
//
//   - the ordinary task exits to user space if it is pending;
//   - a scheduled free_work runs at once, as a work item on the system
//     workqueue does;
//   - the busy worker returns sleep_secs seconds after it started;
//   - the transition work runs 1 second after it was scheduled, and a retry
//     that cannot complete the transition schedules the next one a second
//     later. Retries print nothing because the selftests disable the debug
//     message of klp_try_switch_task.
//
// At the same instant the busy worker returns before the transition work
// runs. "sleep N" advances time by N seconds. load_lp, load_lp_nowait,
// disable_lp, unload_mod, unload_lp and set_pre_patch_ret advance time one
// due step after the other until their condition holds. They fail when no
// step is scheduled that could change the state, or after 60 seconds, the
// time functions.sh's loop_until waits (600 tries, 0.1 s apart). Removing
// test_klp_callbacks_busy waits until its worker returns, because the
// module's exit function cancels the work item synchronously.
//
// The time model approximates the kernel in these ways:
//
//   - A transition that no task blocks completes inline, in the sysfs write
//     or module_init that started it. In the kernel a task is usually
//     running on another CPU, and the same completion happens in the
//     transition work about a second later, with the same log.
//   - The kernel rounds the retry delay to a whole second of jiffies, so
//     retries come about, not exactly, a second apart. Which of a retry
//     and the busy worker's return comes first when both fall in the same
//     second is not determined in the kernel.
//   - The busy worker starts right after the module's init. The kernel
//     queues it with no delay and runs it on a kworker moments later.
//   - While rmmod of the busy module waits for the worker, the kernel has
//     already marked the module GOING, but the model makes it GOING only
//     after the worker returned. A callback that runs during that wait
//     prints MODULE_STATE_LIVE in replay and MODULE_STATE_GOING in the
//     kernel.
package replay
