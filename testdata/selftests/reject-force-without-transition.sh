#!/bin/bash
# Writing 1 to the force attribute of a patch that is not the transition
# patch fails with EINVAL and forces nothing, so the patch module stays
# removable after a normal disable.

MOD_LIVEPATCH=test_klp_livepatch

setup_config

start_test "force a patch without a transition"

load_lp $MOD_LIVEPATCH
expect_error EINVAL echo 1 > /sys/kernel/livepatch/$MOD_LIVEPATCH/force
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
