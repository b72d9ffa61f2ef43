#!/bin/bash
# An enabled patch's module cannot be removed: the livepatch core holds a
# reference on it from klp_enable_patch() until the patch is freed, so
# delete_module() fails with EWOULDBLOCK, which is EAGAIN on Linux. Once the
# patch is disabled and freed, removal succeeds.

MOD_LIVEPATCH=test_klp_livepatch

setup_config

start_test "remove an enabled patch module"

load_lp $MOD_LIVEPATCH
expect_error EAGAIN rmmod $MOD_LIVEPATCH
disable_lp $MOD_LIVEPATCH
unload_lp $MOD_LIVEPATCH

check_result "% modprobe $MOD_LIVEPATCH
livepatch: enabling patch '$MOD_LIVEPATCH'
livepatch: '$MOD_LIVEPATCH': initializing patching transition
livepatch: '$MOD_LIVEPATCH': starting patching transition
livepatch: '$MOD_LIVEPATCH': completing patching transition
livepatch: '$MOD_LIVEPATCH': patching complete
% echo 0 > /sys/kernel/livepatch/$MOD_LIVEPATCH/enabled
livepatch: '$MOD_LIVEPATCH': initializing unpatching transition
livepatch: '$MOD_LIVEPATCH': starting unpatching transition
livepatch: '$MOD_LIVEPATCH': completing unpatching transition
livepatch: '$MOD_LIVEPATCH': unpatching complete
% rmmod $MOD_LIVEPATCH"
