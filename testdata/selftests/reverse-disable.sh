#!/bin/bash
# Reverse a disable. With these test modules no task can hold an unpatching
# transition open: the busy worker sleeps in the original busymod_work_func,
# which only blocks patching. So the unpatching transition is reached by
# reversing the stuck enable with a write of 0, and the write of 1 right
# after it reverses that unpatching transition back to patching. The
# transition work completes nothing in between, because the next retry is
# about a second away. The patching transition then finishes once the
# worker returns after 5 seconds.

MOD_LIVEPATCH=test_klp_callbacks_demo
MOD_TARGET_BUSY=test_klp_callbacks_busy

setup_config

start_test "reverse a disable"

load_mod $MOD_TARGET_BUSY sleep_secs=5
load_lp_nowait $MOD_LIVEPATCH
echo 0 > /sys/kernel/livepatch/$MOD_LIVEPATCH/enabled
echo 1 > /sys/kernel/livepatch/$MOD_LIVEPATCH/enabled
# The worker returns after 5 seconds; the next retry then completes the
# patching transition.
sleep 8
disable_lp $MOD_LIVEPATCH
unload_lp $MOD_LIVEPATCH
unload_mod $MOD_TARGET_BUSY

check_result "% modprobe $MOD_TARGET_BUSY sleep_secs=5
$MOD_TARGET_BUSY: ${MOD_TARGET_BUSY}_init
$MOD_TARGET_BUSY: busymod_work_func, sleeping 5 seconds ...
% modprobe $MOD_LIVEPATCH
livepatch: enabling patch '$MOD_LIVEPATCH'
livepatch: '$MOD_LIVEPATCH': initializing patching transition
$MOD_LIVEPATCH: pre_patch_callback: vmlinux
$MOD_LIVEPATCH: pre_patch_callback: $MOD_TARGET_BUSY -> [MODULE_STATE_LIVE] Normal state
livepatch: '$MOD_LIVEPATCH': starting patching transition
livepatch: '$MOD_LIVEPATCH': reversing transition from patching to unpatching
livepatch: '$MOD_LIVEPATCH': starting unpatching transition
livepatch: '$MOD_LIVEPATCH': reversing transition from unpatching to patching
livepatch: '$MOD_LIVEPATCH': starting patching transition
$MOD_TARGET_BUSY: busymod_work_func exit
livepatch: '$MOD_LIVEPATCH': completing patching transition
$MOD_LIVEPATCH: post_patch_callback: vmlinux
$MOD_LIVEPATCH: post_patch_callback: $MOD_TARGET_BUSY -> [MODULE_STATE_LIVE] Normal state
livepatch: '$MOD_LIVEPATCH': patching complete
% echo 0 > /sys/kernel/livepatch/$MOD_LIVEPATCH/enabled
livepatch: '$MOD_LIVEPATCH': initializing unpatching transition
$MOD_LIVEPATCH: pre_unpatch_callback: vmlinux
$MOD_LIVEPATCH: pre_unpatch_callback: $MOD_TARGET_BUSY -> [MODULE_STATE_LIVE] Normal state
livepatch: '$MOD_LIVEPATCH': starting unpatching transition
livepatch: '$MOD_LIVEPATCH': completing unpatching transition
$MOD_LIVEPATCH: post_unpatch_callback: vmlinux
$MOD_LIVEPATCH: post_unpatch_callback: $MOD_TARGET_BUSY -> [MODULE_STATE_LIVE] Normal state
livepatch: '$MOD_LIVEPATCH': unpatching complete
% rmmod $MOD_LIVEPATCH
% rmmod $MOD_TARGET_BUSY
$MOD_TARGET_BUSY: ${MOD_TARGET_BUSY}_exit"
