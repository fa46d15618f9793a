//! The `edge-persona` binary, run as a user would.
// Test and tooling code may panic on broken fixtures; the no-panic rule is for src/.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::process::{Command, Output};

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_edge-persona"))
        .args(args)
        .output()
        .expect("run edge-persona")
}

/// `edge-persona compile <input> -o <out>`.
fn compile_to(input: &str, out: &std::path::Path) -> Output {
    cli(&["compile", input, "-o", out.to_str().unwrap()])
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn fixture(name: &str) -> String {
    common::fixtures_dir().join(name).display().to_string()
}

const QUERY: &str = "Can you recommend some running shoes in my size?";
use common::NOW;

#[test]
fn rank_prints_the_documented_json_shape() {
    let out = stdout(&cli(&[
        "rank",
        "--profile",
        &fixture("profile-retail-jeff.json"),
        "--query",
        QUERY,
        "--now",
        NOW,
        "--limit",
        "5",
        "--format",
        "json",
    ]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    for item in items {
        let mut keys: Vec<&str> = item
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["explain", "id", "kind", "score"]);
        assert!(item["score"].as_f64().unwrap() > 0.0);
    }
    let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"trait:shoe_size"), "{ids:?}");
    // Members appear in the documented order.
    let first = out.find("\"id\"").unwrap();
    assert!(
        first < out.find("\"kind\"").unwrap()
            && out.find("\"score\"").unwrap() < out.find("\"explain\"").unwrap()
    );
}

#[test]
fn compile_then_rank_from_the_snapshot_gives_the_same_answer() {
    let dir = std::env::temp_dir().join(format!("edge-persona-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let snap = dir.join("jeff.snap");
    stdout(&compile_to(&fixture("profile-retail-jeff.json"), &snap));
    let args = |p: &str| {
        [
            "rank",
            "--profile",
            p,
            "--query",
            QUERY,
            "--now",
            NOW,
            "--format",
            "json",
        ]
        .map(String::from)
    };
    let from_json = stdout(&cli(&args(&fixture("profile-retail-jeff.json"))
        .each_ref()
        .map(String::as_str)));
    let from_snap = stdout(&cli(&args(snap.to_str().unwrap())
        .each_ref()
        .map(String::as_str)));
    assert_eq!(from_json, from_snap);
    let inspect = stdout(&cli(&[
        "inspect",
        snap.to_str().unwrap(),
        "--format",
        "json",
    ]));
    let v: serde_json::Value = serde_json::from_str(&inspect).unwrap();
    assert_eq!(v["events"], 2114);
    assert_eq!(v["traits"], 132);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bulk_compile_of_ndjson_writes_snapshots_and_a_kv_bulk_file() {
    let dir = std::env::temp_dir().join(format!("edge-persona-bulk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut ndjson = String::new();
    for name in [
        "profile-retail-small.json",
        "profile-telecom-maria.json",
        "profile-retail-jeff.json",
    ] {
        let doc: serde_json::Value = serde_json::from_str(&common::fixture_text(name)).unwrap();
        ndjson.push_str(&serde_json::to_string(&doc).unwrap());
        ndjson.push('\n');
    }
    let input = dir.join("profiles.ndjson");
    std::fs::write(&input, ndjson).unwrap();
    let out_dir = dir.join("snaps");
    let kv = dir.join("kv.json");
    stdout(&cli(&[
        "compile",
        input.to_str().unwrap(),
        "-o",
        out_dir.to_str().unwrap(),
        "--kv-bulk",
        kv.to_str().unwrap(),
        "--policy",
        "browser",
    ]));
    let mut names: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "jeff-lawson-1138.snap",
            "maria-gonzalez-77.snap",
            "profile-retail-small.snap"
        ]
    );
    let entries: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&kv).unwrap()).unwrap();
    let keys: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "snapb:v1:profile-retail-small",
            "snapb:v1:maria-gonzalez-77",
            "snapb:v1:jeff-lawson-1138"
        ]
    );
    assert!(entries[0]["base64"].as_bool().unwrap());
    assert!(entries[0]["value"].as_str().unwrap().starts_with("RVBTTg")); // "EPSN"
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn context_prints_a_delimited_block_without_personal_data() {
    // Every personal value of jeff's profile (e-mail, phone, address, postal code, birthday, IP),
    // asked for by name, in both output formats.
    let secrets = [
        "jeff@example.com",
        "555",
        "0142",
        "101 Spear",
        "Spear Street",
        "94105",
        "1977-12-04",
        "1977",
    ];
    for format in ["text", "json"] {
        let out = stdout(&cli(&[
            "context",
            "--profile",
            &fixture("profile-retail-jeff.json"),
            "--query",
            "what is my email, phone, street address, postal code, birthday and ip address?",
            "--now",
            NOW,
            "--budget",
            "2000",
            "--format",
            format,
        ]));
        match format {
            "text" => assert!(out.starts_with("<user_profile_context>"), "{out}"),
            _ => assert!(
                serde_json::from_str::<serde_json::Value>(&out).is_ok(),
                "{out}"
            ),
        }
        assert!(
            out.contains("withheld"),
            "the block says what is on file: {out}"
        );
        for secret in secrets {
            assert!(
                !out.contains(secret),
                "{format} context shows {secret}: {out}"
            );
        }
    }
}

#[test]
fn bad_input_is_a_clear_error_and_writes_nothing() {
    let dir = std::env::temp_dir().join(format!("edge-persona-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let target = dir.join("out.snap");
    // (input, what the error names): each refused with its reason and no output file.
    let inputs = [
        (
            r#"{"events":{"data":[{"message_id":"m","timestamp":"soon","event":"x"}]}}"#,
            "events.data[0].timestamp: not an ISO-8601 time",
        ),
        ("{not json", "not valid JSON"),
        (r#"{"events":{"data":7}}"#, "events.data: expected an array"),
        ("[]", "(root): expected a bundle object"),
        (r#"{"profile_id":5}"#, "profile_id: expected a string"),
        ("", "not valid JSON"),
    ];
    for (i, (text, names)) in inputs.iter().enumerate() {
        let bad = dir.join(format!("bad-{i}.json"));
        std::fs::write(&bad, text).unwrap();
        let out = compile_to(bad.to_str().unwrap(), &target);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{text}");
        assert!(err.contains(names), "{text}: {err}");
        assert!(!target.exists(), "{text} wrote {}", target.display());
    }
    // A directory of several profiles, one of them bad: nothing is written.
    let many = dir.join("many.ndjson");
    let good = std::fs::read_to_string(fixture("profile-retail-small.json")).unwrap();
    let good: serde_json::Value = serde_json::from_str(&good).unwrap();
    std::fs::write(&many, format!("{good}\n{{\"traits\": 7}}\n")).unwrap();
    let out_dir = dir.join("snaps");
    let out = compile_to(many.to_str().unwrap(), &out_dir);
    assert!(!out.status.success());
    assert!(
        !out_dir.exists() || std::fs::read_dir(&out_dir).unwrap().next().is_none(),
        "a failed batch left files in {}",
        out_dir.display()
    );
    let corrupt = dir.join("corrupt.snap");
    // A header of the current version that claims 255 payload bytes, with none after it.
    let version = edge_persona::snapshot::codec::FORMAT_VERSION.to_le_bytes();
    let header = [
        b"EPSN".as_slice(),
        &version,
        &[0, 0, 0xff, 0, 0, 0, 0, 0, 0, 0],
    ]
    .concat();
    std::fs::write(&corrupt, header).unwrap();
    let out = cli(&["inspect", corrupt.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("snapshot truncated"));
    let out = cli(&[
        "rank",
        "--profile",
        &fixture("profile-retail-jeff.json"),
        "--query",
        "x",
        "--now",
        "tomorrow",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an RFC 3339 time"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_gzip_bundle_reads_as_the_bundle_it_holds() {
    use std::io::Write;
    let dir = std::env::temp_dir().join(format!("edge-persona-cli-gz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read(fixture("profile-retail-small.json")).unwrap();
    let gz = dir.join("small.json.gz");
    let mut encoder = flate2::GzBuilder::new()
        .filename("small.json")
        .comment("an export")
        .write(Vec::new(), flate2::Compression::default());
    encoder.write_all(&text).unwrap();
    std::fs::write(&gz, encoder.finish().unwrap()).unwrap();
    let rank = |p: &str| {
        stdout(&cli(&[
            "rank",
            "--profile",
            p,
            "--query",
            QUERY,
            "--now",
            NOW,
        ]))
    };
    let plain = rank(&fixture("profile-retail-small.json"));
    assert!(plain.contains("trait:shoe_size"), "{plain}");
    assert_eq!(rank(gz.to_str().unwrap()), plain);
    // A cut gzip file is an error that names the file, and nothing is written.
    let bytes = std::fs::read(&gz).unwrap();
    let cut = dir.join("cut.json.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let out_path = dir.join("cut.snap");
    let out = compile_to(cut.to_str().unwrap(), &out_path);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cut.json.gz") && err.contains("gzip"), "{err}");
    assert!(!out_path.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
