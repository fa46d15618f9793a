//! Where snapshots live in Workers KV: one key layout for the CLI's bulk-upload files and the Worker.

use crate::policy::Target;

/// The user id in a profile id: `user_id:jeff` → `jeff`; other ids are kept whole.
pub fn user_id(profile_id: &str) -> &str {
    profile_id.strip_prefix("user_id:").unwrap_or(profile_id)
}

/// `snap:v1:<user_id>`: the snapshot compiled under the server policy.
pub fn snapshot_key(user_id: &str) -> String {
    format!("snap:v1:{user_id}")
}

/// `snapb:v1:<user_id>`: the snapshot compiled under the browser policy (`GET /v1/snapshot`).
pub fn browser_snapshot_key(user_id: &str) -> String {
    format!("snapb:v1:{user_id}")
}

/// The key of a snapshot compiled for `target`: [`snapshot_key`] or [`browser_snapshot_key`].
pub fn snapshot_key_for(target: Target, user_id: &str) -> String {
    match target {
        Target::Server => snapshot_key(user_id),
        Target::Browser => browser_snapshot_key(user_id),
    }
}

/// `src:v1:<user_id>`: the source bundle that webhooks and newer formats recompile from.
pub fn source_key(user_id: &str) -> String {
    format!("src:v1:{user_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_layout() {
        assert_eq!(user_id("user_id:jeff-lawson-1138"), "jeff-lawson-1138");
        assert_eq!(user_id("anonymous_id:x"), "anonymous_id:x");
        assert_eq!(snapshot_key("jeff"), "snap:v1:jeff");
        assert_eq!(browser_snapshot_key("jeff"), "snapb:v1:jeff");
        assert_eq!(source_key("jeff"), "src:v1:jeff");
        assert_eq!(snapshot_key_for(Target::Server, "jeff"), "snap:v1:jeff");
        assert_eq!(snapshot_key_for(Target::Browser, "jeff"), "snapb:v1:jeff");
    }
}
