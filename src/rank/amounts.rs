//! Numbers as amounts: a question's "38" or "about 40 dollars" meets a profile's `38.6` or
//! `39.99`, numbers within a few percent of each other. Parsed by hand (digits and one decimal
//! point), without the standard float parser, whose tables the browser's module would carry.

/// Relative difference within which two amounts meet.
pub(crate) const TOLERANCE: f64 = 0.05;

/// The value of a plain decimal number (`38`, `38.6`, `1537.43`): at most 15 digits, one point;
/// `None` for anything else (`v1`, `2.3.4`, `1e5`).
pub(crate) fn parse(text: &str) -> Option<f64> {
    let (mut mantissa, mut scale, mut point, mut digits) = (0u64, 1u64, false, 0);
    for b in text.bytes() {
        match b {
            b'0'..=b'9' => {
                digits += 1;
                if digits > 15 {
                    return None;
                }
                mantissa = mantissa * 10 + u64::from(b - b'0');
                if point {
                    scale *= 10;
                }
            }
            b'.' if !point && digits > 0 => point = true,
            _ => return None,
        }
    }
    (digits > 0).then(|| mantissa as f64 / scale as f64)
}

/// Whether two amounts meet: within [`TOLERANCE`] of the larger, and not equal (the same number
/// is an exact match already).
pub(crate) fn near(a: f64, b: f64) -> bool {
    let larger = a.abs().max(b.abs());
    a != b && larger > 0.0 && (a - b).abs() <= TOLERANCE * larger
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_decimals_parse_and_others_do_not() {
        assert_eq!(parse("38"), Some(38.0));
        assert_eq!(parse("38.6"), Some(38.6));
        assert_eq!(parse("1537.43"), Some(1537.43));
        for bad in ["", ".", "v1", "2.3.4", "1e5", "12a", "1234567890123456"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn amounts_within_a_few_percent_meet() {
        assert!(near(38.0, 38.6));
        assert!(near(40.0, 39.99));
        assert!(near(12.9, 12.5));
        assert!(!near(12.0, 13.0), "8% apart");
        assert!(!near(6.0, 6.0), "equal: an exact match already");
        assert!(!near(0.0, 0.0));
    }
}
