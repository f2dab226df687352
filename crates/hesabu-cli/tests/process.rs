//! The real `hesabu` process: exit codes and stderr as the shell sees them. (The in-process
//! suite in tests/it covers behaviour; this proves main() passes codes and streams through.)

use std::process::Command;

fn hesabu() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hesabu"))
}

#[test]
fn exit_codes_and_json_errors_reach_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.hesabu");
    let created = hesabu()
        .args([
            "--json",
            "company",
            "create",
            "--name",
            "P Ltd",
            "--kra-pin",
            "P051234567X",
        ])
        .args(["--admin-email", "a@p.test", "--admin-name", "A"])
        .arg(&path)
        .env("HESABU_PASSWORD", "admin-pass-1")
        .output()
        .unwrap();
    assert_eq!(
        created.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&created.stdout).unwrap();
    assert!(json["id"].is_string());

    let wrong = hesabu()
        .args(["--json", "user", "list"])
        .env("HESABU_COMPANY", &path)
        .env("HESABU_AS", "a@p.test")
        .env("HESABU_PASSWORD", "wrong-password")
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(3));
    assert!(wrong.stdout.is_empty());
    let error: serde_json::Value = serde_json::from_slice(&wrong.stderr).unwrap();
    assert_eq!(error["error"]["kind"], "auth_failed");

    let bad_pin = hesabu()
        .args([
            "company",
            "create",
            "--name",
            "Q",
            "--kra-pin",
            "Q1",
            "--admin-email",
            "a@q.test",
        ])
        .args(["--admin-name", "A"])
        .arg(dir.path().join("q.hesabu"))
        .env("HESABU_PASSWORD", "admin-pass-1")
        .output()
        .unwrap();
    assert_eq!(bad_pin.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_pin.stderr).starts_with("error: KRA PIN"));
    assert!(!dir.path().join("q.hesabu").exists());
}
