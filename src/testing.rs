//! Test profiles for the unit tests: one builder instead of a `Profile` written out by hand in
//! every module. Only compiled for `cargo test`.

use crate::policy::PrivacyPolicy;
use crate::profile::{Event, Profile, Trait, Value};
use crate::snapshot::{compile, Snapshot};

/// Milliseconds in an hour, for event times relative to a test's `now`.
pub const HOUR: i64 = 3_600_000;

/// Builds a [`Profile`] trait by trait and event by event, in order.
#[derive(Debug, Clone, Default)]
pub struct ProfileBuilder {
    profile: Profile,
}

/// A builder for a profile with this id (`user_id:u1`, or any text).
pub fn profile(id: &str) -> ProfileBuilder {
    ProfileBuilder {
        profile: Profile {
            profile_id: id.into(),
            ..Profile::default()
        },
    }
}

impl ProfileBuilder {
    /// A trait with any value.
    pub fn value(mut self, key: &str, value: Value) -> Self {
        self.profile.traits.push(Trait {
            key: key.into(),
            value,
            audience: false,
        });
        self
    }

    /// A text trait.
    pub fn text(self, key: &str, value: &str) -> Self {
        self.value(key, Value::Text(value.into()))
    }

    /// An audience membership (a boolean trait marked as an audience).
    pub fn audience(mut self, key: &str, member: bool) -> Self {
        self.profile.traits.push(Trait {
            key: key.into(),
            value: Value::Bool(member),
            audience: true,
        });
        self
    }

    /// An event with text properties.
    pub fn event(mut self, id: &str, at_ms: i64, name: &str, props: &[(&str, &str)]) -> Self {
        self.profile.events.push(Event {
            message_id: id.into(),
            name: name.into(),
            timestamp_ms: at_ms,
            properties: props
                .iter()
                .map(|(k, v)| (k.to_string(), Value::Text(v.to_string())))
                .collect(),
        });
        self
    }

    /// The profile's `updated_at`.
    pub fn updated_at(mut self, ms: i64) -> Self {
        self.profile.updated_at_ms = Some(ms);
        self
    }

    pub fn build(self) -> Profile {
        self.profile
    }

    /// Compiled under the default (server) policy.
    pub fn compile(self) -> Snapshot {
        compile(&self.profile, &PrivacyPolicy::default())
    }
}
