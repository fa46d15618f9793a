//! Arbitrary bytes into `Snapshot::decode`: it must never panic, and whatever it accepts must
//! survive an encode/decode round trip unchanged.
#![no_main]

use edge_persona::snapshot::{Snapshot, SnapshotLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = SnapshotLimits::default();
    if let Ok(snapshot) = Snapshot::decode(data, &limits) {
        let bytes = snapshot
            .encode()
            .expect("a decoded snapshot must re-encode");
        let again =
            Snapshot::decode(&bytes, &limits).expect("a re-encoded snapshot must decode");
        assert_eq!(again, snapshot, "snapshot changed in an encode/decode round trip");
    }
});
