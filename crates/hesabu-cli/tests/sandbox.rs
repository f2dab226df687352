//! `hesabu sandbox etims|qbo --port 0` as a real process: it prints where it listens at once,
//! answers there, and stops when killed; and `hesabu demo create --showcase` signs the demo's
//! sales through the app's local e-TIMS sandbox, which `hesabu sync` starts again for the demo.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn hesabu() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hesabu"))
}

/// A running sandbox process, killed when the test ends (also on a failed assertion).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `hesabu ARGS` and returns it with the first line it printed.
fn start(args: &[&str]) -> (Running, String) {
    let mut child = hesabu()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    assert!(!line.is_empty(), "the sandbox printed nothing");
    (running, line)
}

/// One HTTP/1.1 request over a plain socket: (status code, body).
fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: \
         application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn the_etims_sandbox_runs_in_the_foreground_and_says_it_is_not_kra() {
    let (_sandbox, line) = start(&[
        "--json",
        "sandbox",
        "etims",
        "--port",
        "0",
        "--profile",
        "legacy",
        "--cmc-key",
        "00112233445566778899aabbccddeeff",
    ]);
    let info: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(info["test_double"], true);
    assert!(info["note"].as_str().unwrap().contains("not KRA"));
    assert!(info["integrator_base_url"].is_null(), "{info}");
    let base = info["legacy_base_url"].as_str().unwrap();
    let addr = info["addr"].as_str().unwrap();
    assert_eq!(base, format!("http://{addr}/etims-api/"));
    assert!(
        addr.starts_with("127.0.0.1:") && !addr.ends_with(":0"),
        "{addr}"
    );

    // A device initialises there and gets the key asked for.
    let (status, body) = http(
        addr,
        "POST",
        "/etims-api/selectInitOsdcInfo",
        &[],
        r#"{"tin":"P051234567X","bhfId":"00","dvcSrlNo":"CLI-TEST-1"}"#,
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"resultCd\":\"000\""), "{body}");
    assert!(body.contains("00112233445566778899aabbccddeeff"), "{body}");
    // Nothing signed yet.
    let (status, body) = http(addr, "GET", "/_sandbox/signed", &[], "");
    assert_eq!((status, body.trim()), (200, r#"{"signed":[]}"#));
}

#[test]
fn the_text_announcement_names_both_gateways() {
    let mut child = hesabu()
        .args(["sandbox", "etims", "--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _running = Running(child);
    let lines: Vec<String> = BufReader::new(stdout)
        .lines()
        .take(6)
        .map(Result::unwrap)
        .collect();
    let text = lines.join("\n");
    assert!(text.contains("NOT KRA"), "{text}");
    assert!(
        text.contains("legacy base URL:") && text.contains("integrator base URL:"),
        "{text}"
    );
}

#[test]
fn the_quickbooks_sandbox_runs_in_the_foreground() {
    let (_sandbox, line) = start(&["--json", "sandbox", "qbo", "--port", "0"]);
    let info: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert!(info["note"].as_str().unwrap().contains("not Intuit"));
    let addr = info["addr"].as_str().unwrap();
    assert_eq!(info["base_url"], format!("http://{addr}"));
    let (status, body) = http(addr, "GET", "/admin/state", &[], "");
    assert_eq!(status, 200, "{body}");
}

#[test]
fn a_port_in_use_is_refused_with_what_to_do() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = hesabu()
        .args(["sandbox", "etims", "--port", &port])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--port 0"), "{stderr}");
}

#[test]
fn the_showcase_demo_is_signed_and_sync_starts_its_sandbox_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.hesabu");
    let created = hesabu()
        .args(["demo", "create", "--showcase"])
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&created.stdout);
    assert_eq!(
        created.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&created.stderr)
    );
    assert!(stdout.contains("3 sales signed"), "{stdout}");
    let status = hesabu()
        .args(["--as", "admin@demo.test", "sync", "status"])
        .arg("--company")
        .arg(&path)
        .env("HESABU_PASSWORD", "hesabu-demo")
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(!status.contains("dead"), "{status}");
    assert!(stdout.contains("not KRA"), "{stdout}");
    // A later command on the demo: its device's address is the marker, resolved by starting the
    // sandbox again for the command (no error, nothing left to send).
    let synced = hesabu()
        .args(["--json", "--as", "admin@demo.test", "sync", "run"])
        .arg("--company")
        .arg(&path)
        .env("HESABU_PASSWORD", "hesabu-demo")
        .output()
        .unwrap();
    assert_eq!(
        synced.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&synced.stdout),
        String::from_utf8_lossy(&synced.stderr)
    );
}
