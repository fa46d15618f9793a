//! Arbitrary bytes into `Snapshot::decode`: it must never panic; whatever it accepts is read in
//! place afterwards, so every reader runs on it too (items, terms and their postings, the time
//! and date indexes, a ranking and a rendered context) and none may panic; and its bytes must
//! load again unchanged.
#![no_main]

use edge_persona::snapshot::{Snapshot, SnapshotLimits};
use edge_persona::{rank, render, Checked};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = SnapshotLimits::default();
    if let Ok(snapshot) = Snapshot::decode(data, &limits) {
        let again =
            Snapshot::decode(snapshot.as_bytes(), &limits).expect("its own bytes must load");
        assert_eq!(again, snapshot, "snapshot changed when loaded again");
        for t in snapshot.traits() {
            let _ = (t.is_truthy(), t.dates());
        }
        for (i, g) in snapshot.groups().enumerate().take(64) {
            let _ = (g.properties().count(), g.dates(), g.occurrence_times(i).len());
        }
        for (id, text) in snapshot.terms().take(256) {
            let _ = (text.len(), snapshot.postings(id).count(), snapshot.doc_freq(id));
        }
        let _ = snapshot.occurrences_between(i64::MIN, i64::MAX).count();
        let now = 1_795_176_000_000;
        for query in ["running shoes size", "anything new since last week?"] {
            let items = rank(&snapshot, query, now, &Checked::default());
            render(&snapshot, &items, now, &Checked::default());
        }
    }
});
