//! The CLI's `token` command mints tokens the Worker's verifier accepts.
#![cfg(feature = "cli")]

use std::process::Command;

use edge_persona::identity::{verify, IdentityError};

const SECRET: &str = "cli-test-secret-0123456789";

/// Runs `edge-persona token` with `args`, without the caller's `EDGE_PERSONA_IDENTITY_SECRET` (the
/// tests choose whether a secret is given).
fn token(args: &[&str]) -> (bool, String) {
    let out = match Command::new(env!("CARGO_BIN_EXE_edge-persona"))
        .arg("token")
        .args(args)
        .env_remove("EDGE_PERSONA_IDENTITY_SECRET")
        .output()
    {
        Ok(out) => out,
        Err(e) => return (false, e.to_string()),
    };
    let text = if out.status.success() {
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    } else {
        String::from_utf8_lossy(&out.stderr).trim().to_string()
    };
    (out.status.success(), text)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[test]
fn jwt_and_cookie_tokens_verify() {
    let (ok, jwt) = token(&[
        "--secret",
        SECRET,
        "--user",
        "jeff-lawson-1138",
        "--ttl",
        "60",
    ]);
    assert!(ok, "{jwt}");
    let id = verify(SECRET.as_bytes(), &jwt, now_ms()).unwrap();
    assert_eq!(id.user_id, "jeff-lawson-1138");
    let (ok, cookie) = token(&["--secret", SECRET, "--user", "maria", "--format", "cookie"]);
    assert!(ok && cookie.starts_with("v1."), "{cookie}");
    assert_eq!(
        verify(SECRET.as_bytes(), &cookie, now_ms())
            .unwrap()
            .user_id,
        "maria"
    );
}

#[test]
fn expiry_from_now_and_bad_arguments() {
    let (ok, old) = token(&[
        "--secret",
        SECRET,
        "--user",
        "u",
        "--ttl",
        "60",
        "--now",
        "2020-01-01T00:00:00Z",
    ]);
    assert!(ok);
    assert_eq!(
        verify(SECRET.as_bytes(), &old, now_ms()),
        Err(IdentityError::Expired)
    );
    let (ok, err) = token(&["--secret", "short", "--user", "u"]);
    assert!(!ok && err.contains("secret"), "{err}");
    let (ok, err) = token(&["--user", "u"]);
    assert!(!ok && err.contains("secret"), "{err}");
    // The secret may come from the environment instead.
    let out = Command::new(env!("CARGO_BIN_EXE_edge-persona"))
        .args(["token", "--user", "u"])
        .env("EDGE_PERSONA_IDENTITY_SECRET", SECRET)
        .output()
        .unwrap();
    let jwt = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert_eq!(
        verify(SECRET.as_bytes(), &jwt, now_ms()).unwrap().user_id,
        "u"
    );
}
