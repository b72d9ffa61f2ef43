#!/bin/bash
# Forcing a stuck patching transition completes it, and the patch can still
# be disabled normally: the worker sleeps in the original busymod_work_func,
# which does not block unpatching. The patch was forced, so freeing it skips
# module_put() and its module can never be removed.

MOD_LIVEPATCH=test_klp_callbacks_demo
MOD_TARGET_BUSY=test_klp_callbacks_busy

setup_config

start_test "force a stuck transition"

load_mod $MOD_TARGET_BUSY sleep_secs=30
load_lp_nowait $MOD_LIVEPATCH
echo 1 > /sys/kernel/livepatch/$MOD_LIVEPATCH/force
# The transition work completes the forced transition within about a second.
sleep 3
disable_lp $MOD_LIVEPATCH
expect_error EAGAIN rmmod $MOD_LIVEPATCH

check_result "% modprobe $MOD_TARGET_BUSY sleep_secs=30
$MOD_TARGET_BUSY: ${MOD_TARGET_BUSY}_init
$MOD_TARGET_BUSY: busymod_work_func, sleeping 30 seconds ...
% modprobe $MOD_LIVEPATCH
livepatch: enabling patch '$MOD_LIVEPATCH'
livepatch: '$MOD_LIVEPATCH': initializing patching transition
$MOD_LIVEPATCH: pre_patch_callback: vmlinux
$MOD_LIVEPATCH: pre_patch_callback: $MOD_TARGET_BUSY -> [MODULE_STATE_LIVE] Normal state
livepatch: '$MOD_LIVEPATCH': starting patching transition
livepatch: forcing remaining tasks to the patched state
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
livepatch: '$MOD_LIVEPATCH': unpatching complete"
