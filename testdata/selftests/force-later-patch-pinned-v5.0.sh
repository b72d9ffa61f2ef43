# klpcheck: kernel=v5.0
#
# On v5.0 a force sets the global klp_forced flag, and from then on
# klp_complete_transition() never drops a patch module's reference. A patch
# loaded after the force is disabled cleanly, yet its module still cannot be
# removed. The v5.0 livepatch modules register their patch and then enable
# it in module_init; neither step logs more than the 958ef1e enable does.
# The 958ef1e counterpart is force-later-patch-removable.sh.

MOD_LIVEPATCH=test_klp_callbacks_demo
MOD_LIVEPATCH2=test_klp_livepatch
MOD_TARGET_BUSY=test_klp_callbacks_busy

setup_config

start_test "patch loaded after a force on v5.0"

load_mod $MOD_TARGET_BUSY sleep_secs=30
load_lp_nowait $MOD_LIVEPATCH
echo 1 > /sys/kernel/livepatch/$MOD_LIVEPATCH/force
# The transition work completes the forced transition within about a second.
sleep 3
load_lp $MOD_LIVEPATCH2
disable_lp $MOD_LIVEPATCH2
expect_error EAGAIN rmmod $MOD_LIVEPATCH2

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
% modprobe $MOD_LIVEPATCH2
livepatch: enabling patch '$MOD_LIVEPATCH2'
livepatch: '$MOD_LIVEPATCH2': initializing patching transition
livepatch: '$MOD_LIVEPATCH2': starting patching transition
livepatch: '$MOD_LIVEPATCH2': completing patching transition
livepatch: '$MOD_LIVEPATCH2': patching complete
% echo 0 > /sys/kernel/livepatch/$MOD_LIVEPATCH2/enabled
livepatch: '$MOD_LIVEPATCH2': initializing unpatching transition
livepatch: '$MOD_LIVEPATCH2': starting unpatching transition
livepatch: '$MOD_LIVEPATCH2': completing unpatching transition
livepatch: '$MOD_LIVEPATCH2': unpatching complete"
