//! Arbitrary UTF-8 text into the Segment bundle importer: it must never panic, and whatever it
//! accepts must compile under the default policy into a snapshot that encodes and decodes.
#![no_main]

use edge_persona::{import_bundle, ImportLimits};
use edge_persona::PrivacyPolicy;
use edge_persona::snapshot::{compile, Snapshot, SnapshotLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(profile) = import_bundle(text, &ImportLimits::default()) {
        let snapshot = compile(&profile, &PrivacyPolicy::default());
        let bytes = snapshot
            .encode()
            .expect("a compiled snapshot must encode");
        if let Err(e) = Snapshot::decode(&bytes, &SnapshotLimits::default()) {
            panic!("a compiled snapshot must decode: {e:?}");
        }
    }
});
