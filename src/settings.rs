//! Settings are plain structs a caller fills in (every field documented with its default); the
//! engine takes them only as [`Checked`], which only [`Checked::new`] makes, after the settings'
//! [`Validate::validate`]. So no entry point can run on a `NaN` weight or a zero limit, whichever
//! binding built the settings.

use std::ops::Deref;

use crate::errors::SettingsError;

/// Settings that can check their own ranges.
pub trait Validate {
    /// The first setting outside its documented range, if any.
    fn validate(&self) -> Result<(), SettingsError>;
}

/// Settings that passed their [`Validate::validate`]: the form the engine's entry points take.
/// `Checked::default()` is the defaults, which are valid (each type's tests check it).
#[derive(Debug, Clone, PartialEq)]
pub struct Checked<T>(T);

impl<T: Validate> Checked<T> {
    /// Checks `settings`, naming the first one out of range.
    pub fn new(settings: T) -> Result<Self, SettingsError> {
        settings.validate()?;
        Ok(Checked(settings))
    }
}

impl<T> Checked<T> {
    /// The settings themselves.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Checked<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Validate + Default> Default for Checked<T> {
    fn default() -> Self {
        Checked(T::default())
    }
}

/// Checks `(setting, value, min, max)` rows: the first value that is not finite or lies outside
/// its `min..=max` is the error.
pub(crate) fn check_ranges(checks: &[(&'static str, f32, f32, f32)]) -> Result<(), SettingsError> {
    for &(name, value, min, max) in checks {
        if !(value.is_finite() && value >= min && value <= max) {
            return Err(SettingsError::OutOfRange {
                name,
                value: f64::from(value),
                min: f64::from(min),
                max: f64::from(max),
            });
        }
    }
    Ok(())
}
