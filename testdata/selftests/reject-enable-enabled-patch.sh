#!/bin/bash
# Writing 1 to the enabled attribute of a patch that is already enabled and
# not in transition fails with EINVAL: enabled_store() rejects a value equal
# to the current state before it looks at anything else. The failed write
# logs nothing.

MOD_LIVEPATCH=test_klp_livepatch

setup_config

start_test "enable an enabled patch"

load_lp $MOD_LIVEPATCH
expect_error EINVAL echo 1 > /sys/kernel/livepatch/$MOD_LIVEPATCH/enabled
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
