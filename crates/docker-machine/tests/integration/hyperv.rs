//! The hyperv driver's console through the real binary: `stop`, `kill` and `rm` of a
//! machine stored by 0.16.2, printing the lines 0.16.2 printed. Hyper-V cannot run
//! here: a scripted `powershell.exe` (a shell script first on PATH, which the Linux
//! binary runs as it would run PowerShell) answers the driver's commands from a state
//! file and logs them. The create side (the boot2docker ISO lines) is compared in the
//! driver's tests, since its pre-create check needs Windows.

use crate::support::{isolated_cmd, path_with, run, Out};
use std::fs;
use std::path::Path;

const NAME: &str = "local-docker01";

/// Answers the commands 0.16.2's hyperv driver sends for a state, stop, kill and rm.
const POWERSHELL: &str = r#"#!/bin/sh
shift 2
echo "$*" >>"$PS_DIR/calls"
case "$*" in
  '( Hyper-V\Get-VM local-docker01 ).state') cat "$PS_DIR/state" ;;
  'Hyper-V\Stop-VM local-docker01' | 'Hyper-V\Stop-VM local-docker01 -TurnOff') echo Off >"$PS_DIR/state" ;;
  'Hyper-V\Remove-VM local-docker01 -Force') ;;
  *) echo "unexpected: $*" >&2; exit 1 ;;
esac
"#;

fn dm(store: &Path, ps_dir: &Path, args: &[&str]) -> Out {
    run(isolated_cmd(store)
        .env("PATH", path_with(ps_dir))
        .env("PS_DIR", ps_dir)
        .args(args))
}

fn set_state(ps_dir: &Path, state: &str) {
    fs::write(ps_dir.join("state"), format!("{state}\r\n")).unwrap();
}

#[test]
fn stop_kill_and_rm_print_the_drivers_wait_as_0_16_2_did() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let ps_dir = tmp.path().join("ps");
    fs::create_dir_all(store.join("machines").join(NAME)).unwrap();
    fs::create_dir_all(&ps_dir).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../libmachine/tests/fixtures/store-0.16.2/machines")
        .join(NAME)
        .join("config.json");
    let config = fs::read_to_string(fixture)
        .unwrap()
        .replace("/home/alice/.docker/machine", store.to_str().unwrap());
    fs::write(
        store.join("machines").join(NAME).join("config.json"),
        config,
    )
    .unwrap();
    let script = ps_dir.join("powershell.exe");
    fs::write(&script, POWERSHELL).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();

    let wait = "(local-docker01) Waiting for host to stop...\n";
    for (args, before, after) in [
        (&["stop", NAME][..], "Stopping \"local-docker01\"...\n", "Machine \"local-docker01\" was stopped.\n"),
        (&["kill", NAME], "Killing \"local-docker01\"...\n", "Machine \"local-docker01\" was killed.\n"),
        (
            &["rm", "-y", NAME],
            "About to remove local-docker01\nWARNING: This action will delete both local reference and remote instance.\n",
            "Successfully removed local-docker01\n",
        ),
    ] {
        set_state(&ps_dir, "Running");
        let out = dm(&store, &ps_dir, args);
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (0, format!("{before}{wait}{after}").as_str()),
            "{args:?}: {out:?}"
        );
    }
    assert!(!store.join("machines").join(NAME).exists());

    // The commands 0.16.2 sent, in its order: a state check before each action, the
    // driver's wait, the core's wait.
    let calls = fs::read_to_string(ps_dir.join("calls")).unwrap();
    let state = "( Hyper-V\\Get-VM local-docker01 ).state";
    let stop = "Hyper-V\\Stop-VM local-docker01";
    let turn_off = "Hyper-V\\Stop-VM local-docker01 -TurnOff";
    let want = [
        state,
        stop,
        state,
        state, // stop
        state,
        turn_off,
        state,
        state, // kill
        state,
        turn_off,
        state,
        "Hyper-V\\Remove-VM local-docker01 -Force", // rm
    ];
    assert_eq!(calls.lines().collect::<Vec<_>>(), want);
}
